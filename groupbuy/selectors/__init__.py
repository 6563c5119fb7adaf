"""Reads for group buys: who may see what, and the queries behind the pages and the API, one module per
concept (communities, buys, entries, orders, catalog, pools, duplicates, packs, board). Reads of other apps'
models live in `other_apps` only.

Selectors own select_related/prefetch and the visibility rules; views and API views only call them. Public
lists never carry phone numbers: names are masked with accounts.display.public_identity. Contacts are only
given to the buy's leader and to data volunteers (资料统计组) of the buy's community. Selectors never import
services.

Callers may import the package (`from groupbuy import selectors; selectors.buy_get(...)`), which re-exports
each module's public names below, or the module itself.
"""

from groupbuy.selectors.board import (
    BoardRow,
    Reputation,
    community_neighbour_id_list,
    leader_board_get,
    leader_reputation_get,
)
from groupbuy.selectors.buys import (
    LISTED_STATES,
    MAX_LIST_BUYS,
    Progress,
    buy_display_get,
    buy_get,
    buy_get_for_signup,
    buy_get_shared,
    buy_id_list_led_by,
    buy_list,
    buy_list_led_by,
    buy_progress_get,
)
from groupbuy.selectors.catalog import (
    offer_get,
    offer_list,
    photo_get,
    supplier_get,
    supplier_list,
)
from groupbuy.selectors.communities import (
    household_by_label,
    household_get,
    household_member_get,
    id_param,
    lookup_id,
    membership_get_current,
    require_member,
)
from groupbuy.selectors.duplicates import (
    DUPLICATE_WINDOW,
    Duplicate,
    duplicate_buys,
    duplicate_notice_list,
)
from groupbuy.selectors.entries import (
    ListEntry,
    ListHousehold,
    ListRow,
    entry_get,
    entry_get_any,
    entry_get_live,
    entry_lines_get,
    entry_list_mine,
    may_see_contacts,
    require_contacts,
    signup_list,
)
from groupbuy.selectors.orders import (
    OrderLine,
    OrderView,
    purchase_order_get,
)
from groupbuy.selectors.packs import (
    BuyPagePanel,
    PackStatus,
    buy_panel_get,
    pack_status_list,
    pool_progress_apply,
)
from groupbuy.selectors.pools import (
    DropPointLine,
    MemberProgress,
    PoolView,
    SupplierOrder,
    active_pool_id_subquery,
    pool_community_id_list,
    pool_get_for_buy,
    pool_id_get_for_buy,
    pool_list_offered_to,
    pool_purchase_order_get,
    pool_view_get,
)
from groupbuy.selectors.share import (
    SharePreview,
    share_allowed,
    share_deadline_line,
    share_description_get,
    share_households_line,
    share_link_live_get,
    share_list_lines,
    share_money,
    share_photo_get,
    share_preview_get,
    share_progress_summary,
    share_text_get,
)

__all__ = [
    "SharePreview",
    "share_allowed",
    "share_deadline_line",
    "share_description_get",
    "share_households_line",
    "share_link_live_get",
    "share_list_lines",
    "share_money",
    "share_photo_get",
    "share_preview_get",
    "share_progress_summary",
    "share_text_get",
    "BoardRow",
    "BuyPagePanel",
    "DUPLICATE_WINDOW",
    "DropPointLine",
    "Duplicate",
    "LISTED_STATES",
    "ListEntry",
    "ListHousehold",
    "ListRow",
    "MAX_LIST_BUYS",
    "MemberProgress",
    "OrderLine",
    "OrderView",
    "PackStatus",
    "PoolView",
    "Progress",
    "Reputation",
    "SupplierOrder",
    "active_pool_id_subquery",
    "buy_display_get",
    "buy_get",
    "buy_get_for_signup",
    "buy_get_shared",
    "buy_id_list_led_by",
    "buy_list",
    "buy_list_led_by",
    "buy_panel_get",
    "pool_progress_apply",
    "buy_progress_get",
    "community_neighbour_id_list",
    "duplicate_buys",
    "duplicate_notice_list",
    "entry_get",
    "entry_get_any",
    "entry_get_live",
    "entry_lines_get",
    "entry_list_mine",
    "household_by_label",
    "household_get",
    "household_member_get",
    "id_param",
    "leader_board_get",
    "leader_reputation_get",
    "lookup_id",
    "may_see_contacts",
    "membership_get_current",
    "offer_get",
    "offer_list",
    "pack_status_list",
    "photo_get",
    "pool_community_id_list",
    "pool_get_for_buy",
    "pool_id_get_for_buy",
    "pool_list_offered_to",
    "pool_purchase_order_get",
    "pool_view_get",
    "purchase_order_get",
    "require_contacts",
    "require_member",
    "signup_list",
    "supplier_get",
    "supplier_list",
]
