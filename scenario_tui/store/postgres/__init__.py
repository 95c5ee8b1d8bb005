"""The team store: the store's verbs on a PostgreSQL database the team shares (psycopg 3, the
``team`` extra). Imported only when a ``postgresql://`` store is used: ``store`` (the verbs),
``team`` (schema set-up and grants), ``connection`` and ``errors`` (connections and their
failures), ``feed`` (teammates' changes, as they happen), ``schema``, ``uploads``, ``ledger``,
``parts`` and ``claims`` (the SQL)."""
