"""The pms_rooms service: the only code that writes pms_rooms' tables.

setup (room types, rooms, rate plans), rates (prices and restrictions),
availability, assignment (room nights: the double-booking guard),
reservations (book, change, cancel, no-show), frontdesk (check-in, check-out,
moves), folios, audit (the night audit), guests; common.py holds what they share.
"""
