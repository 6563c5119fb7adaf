"""The group-buy JSON API (DRF): buys (buys, entries, suppliers, offers) and pools (pools, 帮卖, the board). The same
selectors and services as the pages, so the page and the API cannot disagree."""
