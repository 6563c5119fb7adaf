"""Writes for people, communities and households. Import from the submodules:

- invites: invite_codes_issue, invite_redeem
- joining: join_request_create, join_request_create_with_account, join_request_decide
- households: household_member_add, household_set_vulnerable
- roles: membership_set_roles
- inbox: notification_mark_read
- users: user_register
"""
