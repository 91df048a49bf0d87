"""The Chinese text material of the demo data set, kept apart from the code that uses it.

``organisation``: staff, departments, queues, categories and tags. ``people``: customer
names, phone numbers, email domains, companies. ``catalogue``: products, couriers, cities.
``scenarios`` and its three companions: what customers write about and how the
conversation goes, as templates with ``{placeholders}`` filled in per ticket.
"""
