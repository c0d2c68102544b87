"""Money's two constants: amounts are Decimals with two places, rounded to the cent."""

from decimal import Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
