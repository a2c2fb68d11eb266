"""A fork server for the crash tests: imports the app once, then forks one checkout worker per command.

``python -m tests.faults.checkout_worker <database url>`` reads JSON commands from stdin, one per line:
``{"product_id": 1, "buyers": [2, 3], "seed": 7}``. For each it forks a child that places checkouts (one
or two units, bank transfer) for those buyers in a loop, with a random pause between the writes and the
commit so that a SIGKILL often lands inside the transaction, and prints the child's pid. The child prints
nothing and exits when the product sells out; the test kills it long before, at a random moment.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import sys
import time
from typing import Any

from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import User
from core.transactions import run_unit_of_work
from orders.cart.checkout import place_checkout
from orders.cart.services import OutOfStock
from orders.models import PaymentMethod
from shop import create_app
from tests.faults.committed import ADDRESS


def place_until_killed(app: Any, product_id: int, buyer_ids: list[int], seed: int) -> None:
    """Place checkouts for random ``buyer_ids`` until the product sells out (or the process is killed)."""
    chance = random.Random(seed)
    engine = app.extensions["db"].engine
    engine.dispose(close=False)  # never share the server's connections (it has none, but be sure)
    with app.test_request_context("/checkout", method="POST"), Session(engine) as session:
        buyers = [session.get(User, buyer_id) for buyer_id in buyer_ids]
        session.commit()
        while True:
            buyer = chance.choice(buyers)
            quantity = chance.randint(1, 2)

            def work(buyer: Any = buyer, quantity: int = quantity) -> Any:
                checkout = place_checkout(
                    session,
                    buyer,
                    {product_id: quantity},
                    ADDRESS,
                    PaymentMethod.BANK_TRANSFER,
                    secrets.token_urlsafe(20),
                    now=utcnow(),
                )
                time.sleep(chance.uniform(0, 0.02))  # written, not committed: a kill here must leave nothing
                return checkout

            try:
                run_unit_of_work(work, session)
            except OutOfStock:
                session.rollback()
                return


def main() -> None:
    """Serve fork commands from stdin until it closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "crash-test-secret-key-that-is-long-enough-0123",
            "DATABASE_URL": sys.argv[1],
            "UPLOAD_DIR": "/nonexistent",
            "LOG_LEVEL": "ERROR",
        }
    )
    print("ready", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                place_until_killed(app, command["product_id"], command["buyers"], command["seed"])
            finally:
                os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
