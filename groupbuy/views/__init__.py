"""Group-buy pages, one module per audience: residents (list, buy, 接龙, proxy sign-up), leaders (open, dashboard,
close, cancel, order, exports), catalog (suppliers, offers, photos), pools (pools, 帮卖, the board) and printables
(paper 接龙, pick lists, charts). Every view is thin: parse, check, call one service or selector, render; refusals
use the core page kit (core.pages)."""
