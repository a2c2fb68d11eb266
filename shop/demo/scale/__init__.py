"""Data at the 832 platform's size, generated fast (``flask --app shop seed-scale``).

The demo (:mod:`shop.demo.seed`) shows sixteen products through the services; this fills an empty, migrated
database with hundreds of thousands of products, a million batches and ten million ledger entries, shaped
exactly as the application writes them, through the databases' bulk paths (PostgreSQL ``COPY``, SQLite
``executemany`` in large transactions). Steps, each its own module:

- :mod:`~shop.demo.scale.places` — the real three counties and as many plausible ones as asked;
- :mod:`~shop.demo.scale.people`, :mod:`~shop.demo.scale.sellers`, :mod:`~shop.demo.scale.institutions` —
  accounts, producers, institutional buyers;
- :mod:`~shop.demo.scale.products` — products named from the counties' real products, certificates, search
  documents;
- :mod:`~shop.demo.scale.lots`, :mod:`~shop.demo.scale.shopping`, :mod:`~shop.demo.scale.purchasing` — the
  plan (in memory) of batches, consumer orders and institutional purchases;
- :mod:`~shop.demo.scale.batches` — batches with valid hash chains of trace events;
- :mod:`~shop.demo.scale.orders`, :mod:`~shop.demo.scale.procurement`, :mod:`~shop.demo.scale.ledger` —
  orders, payments, refunds, purchases and the sales ledger with its roll-ups;
- :mod:`~shop.demo.scale.loader` — the bulk writer; :mod:`~shop.demo.scale.seed` runs the steps.

``tests/shop/test_scale_seed.py`` proves, at a small size on both databases, that the application's own checks
pass on what it writes: every chain verifies, ``stats rebuild --check`` is clean, search and pages answer.
"""
