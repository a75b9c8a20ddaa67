from django.db import models


class Sequence(models.Model):
    """A gapless counter for human numbers (orders, receipts, documents), one row per name."""

    name = models.CharField(max_length=50, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"
