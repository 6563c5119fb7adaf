"""Settlement: money, price changes, shortages, refunds, distribution and after-sales of closed buys."""
