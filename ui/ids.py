"""Every action id, callback id and block id the app uses, in one place."""

# Views
TICKET_MODAL = "ticket_modal"

# Actions
FILE_TICKET_BUTTON = "file_ticket_open"

# --- Ticket actions (on the customer card and the triage card) ---
# The buttons' value is the ticket number; the actions block's id is TICKET_ACTIONS_BLOCK + number.
TICKET_TAKE = "ticket_take"
TICKET_WAITING = "ticket_waiting"
TICKET_RESOLVE = "ticket_resolve"
TICKET_REASSIGN = "ticket_reassign"  # users_select
TICKET_MORE = "ticket_more"  # overflow: change severity ("severity:N"), move to another area ("move:N")
# A conversation's triage card (issue 16): its first severity, and closing it as noise.
TICKET_SET_SEVERITY = "ticket_set_severity"  # opens SEVERITY_MODAL (no reason needed for the first one)
TICKET_NOT_A_TICKET = "ticket_not_a_ticket"  # closes the conversation as status noise
SUMMARY_ITEM_MENU = (
    "summary_item_menu"  # a triage summary line's overflow: "verb:number" (take, severity, noise, resolve)
)
TICKET_ACTIONS_BLOCK = "ticket_actions:"
RATE_HELPFUL = "ticket_rate_helpful"
RATE_NOT_HELPFUL = "ticket_rate_not_helpful"
SEVERITY_MODAL = "ticket_severity_modal"
MOVE_MODAL = "ticket_move_modal"  # the triage card's "Move to…": pick the product area (AREA_BLOCK)
SEVERITY_REASON_BLOCK = "reason"
RATING_COMMENT_MODAL = "ticket_rating_comment_modal"
RATING_COMMENT_BLOCK = "comment"
# The customer's private "we heard you, tracked as #N" note: its button opens the severity picker.
CUSTOMER_SET_SEVERITY = "conversation_set_severity"  # value: the ticket number
CUSTOMER_SEVERITY_MODAL = "conversation_severity_modal"

# Shortcuts
CREATE_TICKET_SHORTCUT = "create_ticket"

# Blocks / fields of the ticket modal
SEVERITY_BLOCK = "severity"
AREA_BLOCK = "area"  # static_select of the product areas (only with a routing file, docs/routing.md)
TITLE_BLOCK = "title"
DESCRIPTION_BLOCK = "description"

# --- Onboarding (/onboard, the shared checklist, nudges to the CS owner) ---
# Views
ONBOARD_MODAL = "onboard_modal"
PAYMENT_LINK_MODAL = "onboarding_payment_link_modal"

# Blocks / fields of the onboarding modal (block_id == action_id; names match validate_customer_fields)
ONBOARD_COMPANY_BLOCK = "company"
ONBOARD_EVENTS_BLOCK = "monthly_events"
ONBOARD_MAUS_BLOCK = "maus"
ONBOARD_CLOUD_BLOCK = "cloud_provider"
ONBOARD_PLAN_BLOCK = "plan"
ONBOARD_SPEND_BLOCK = "monthly_spend"
ONBOARD_OWNER_BLOCK = "cs_owner"

# Block / field of the payment-link modal
PAYMENT_LINK_BLOCK = "payment_link"

# Checklist buttons; the button's value is the step number. Each step's buttons sit in their own
# actions block, block_id ONBOARD_STEP_BLOCK_PREFIX + number, so action ids repeat only across blocks.
STEP_MARK_DONE_BUTTON = "onboarding_step_done"
STEP_DECLINE_BUTTON = "onboarding_step_decline"
STEP_UNDO_BUTTON = "onboarding_step_undo"
PAYMENT_LINK_BUTTON = "onboarding_payment_link_open"
# A url button with the payment link, when the link is too long for step 7's text after escaping:
# Slack opens the link and still sends block_actions, which is only acked.
PAYMENT_LINK_VISIT_BUTTON = "onboarding_payment_link_visit"
ONBOARD_STEP_BLOCK_PREFIX = "onboarding_step_"

# Nudge DM button; its value is the customer channel id.
DASHBOARD_CALL_BOOKED_BUTTON = "onboarding_dashboard_call_booked"

# --- Action ids and block ids of the App Home  --------------------------
# A url button still sends a block_actions payload: register an ack-only listener for it.
HOME_OPEN_CHANNEL_BUTTON = "home_open_channel"  # value: the channel id
# value: the target page, 0-based, as a string; the current page is also in the view's private_metadata.
HOME_PAGE_PREV_BUTTON = "home_page_prev"
HOME_PAGE_NEXT_BUTTON = "home_page_next"
FILE_TICKET_HOME_BUTTON = "file_ticket_home"  # value: "home"
HOME_PAGING_BLOCK = "home_paging"
HOME_CUSTOMER_ACTIONS_BLOCK = "home_customer_actions"
# -----------------------------------------------------------------------------------------

# --- Channels: is a channel that is not shared with another org a customer channel? -------------
# The buttons' value is the channel id. Only staff may choose.
CHANNEL_USE_AS_CUSTOMER = "channel_use_as_customer"
CHANNEL_MARK_INTERNAL = "channel_mark_internal"
CHANNEL_CHOICE_BLOCK = "channel_choice"

# --- Intake, ask mode: the private "Track this as a ticket?" --------------------------------------
# Both buttons carry the asked message (ui.blocks.AskedMessage.encode: its author, ts and text).
ASK_OPEN_TICKET = "intake_ask_open_ticket"
ASK_NO_THANKS = "intake_ask_no_thanks"
ASK_BLOCK = "intake_ask"
