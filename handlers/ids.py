"""Every action id, callback id and block id the app uses, in one place."""

# Views
TICKET_MODAL = "ticket_modal"

# Actions
FILE_TICKET_BUTTON = "file_ticket_open"

# Blocks / fields of the ticket modal
SEVERITY_BLOCK = "severity"
TITLE_BLOCK = "title"
DESCRIPTION_BLOCK = "description"
