"""A person's home after sign-in (``/home``): what needs their action first, then each module's panel.

It owns no tables and no rules: every panel comes from a module's public ``home_panel(db, principal)``
(``smartgov.web.panels`` says the shape), which reads only that module's own data, scoped to the
caller. A citizen sees their applications, documents, notifications, participation and who read
their data; an employer their wage reports and invoices; an official their inbox and the cases
at risk; a person holding several roles sees each part.
"""
