"""Model instances from one plain-SQL SELECT, for the few hot reads where Django's SQL compiler costs more than the
query does (the sign-up path: the token and its user, the buy row, the membership with its household).

Why: building a SELECT with `select_related` through the ORM costs ~0.3-0.7 ms of Python per request on this
stack (docs/PERFORMANCE.md), the statement itself a tenth of that. Here the select list is made once per model
from its concrete fields (no hand-kept column list) and each value goes through the same converters the ORM
applies (the backend's and the field's: SQLite's decimals, datetimes and booleans), so an instance made here is
the instance the ORM would have made, on PostgreSQL and on SQLite (the demo).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

_Converter = tuple[list[Callable[..., Any]], Any]
M = TypeVar("M", bound=Model)
_plans: dict[tuple[str, type[Model]], list[tuple[int, _Converter]]] = {}


def columns(model: type[Model], alias: str) -> str:
    """The select list for every concrete column of `model` in field order, qualified by the table `alias`."""
    qn = connection.ops.quote_name
    return ", ".join(f"{qn(alias)}.{qn(field.column)}" for field in model._meta.concrete_fields)


def _field_converters(model: type[Model], field: Any) -> _Converter:
    """The converters the ORM applies to `field`'s column on this backend (the backend's, then the field's)."""
    col = field.get_col(model._meta.db_table)
    return connection.ops.get_db_converters(col) + col.get_db_converters(connection), col


def _converters(model: type[Model]) -> list[tuple[int, _Converter]]:
    """(index, converters) of the concrete fields of `model` that have any, made once per backend and model."""
    key = (connection.vendor, model)
    plan = _plans.get(key)
    if plan is None:
        found = ((i, _field_converters(model, field)) for i, field in enumerate(model._meta.concrete_fields))
        plan = _plans[key] = [(i, conv) for i, conv in found if conv[0]]
    return plan


def _converted(value: Any, converter: _Converter) -> Any:
    convs, col = converter
    for convert in convs:
        value = convert(value, col, connection)
    return value


def instance(model: type[M], row: Sequence[Any], start: int = 0) -> M | None:
    """The `model` instance held in `row[start : start + number of its columns]` (as `columns` selected them);
    None when its primary key is NULL (the missing side of a LEFT JOIN)."""
    fields = model._meta.concrete_fields
    values = list(row[start : start + len(fields)])
    pk_index = fields.index(model._meta.pk)
    if values[pk_index] is None:
        return None
    for i, converter in _converters(model):
        values[i] = _converted(values[i], converter)
    return model.from_db(connection.alias, None, values)


def values(model: type[Model], attnames: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """The `model` columns named by `attnames`, selected in that order at the start of `row`, each through the
    converters the ORM applies (on SQLite a datetime comes back naive and a decimal as a float without them)."""
    plan = dict(_converters(model))
    index = {field.attname: i for i, field in enumerate(model._meta.concrete_fields)}
    out = []
    for attname, value in zip(attnames, row, strict=False):
        converter = plan.get(index[attname])
        out.append(value if converter is None else _converted(value, converter))
    return out


def width(model: type[Model]) -> int:
    """How many columns `columns(model, ...)` selects."""
    return len(model._meta.concrete_fields)


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of `sql`, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of `sql`."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
