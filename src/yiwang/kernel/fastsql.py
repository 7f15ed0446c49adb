"""Statements compiled once, for the few hot paths that write or read a handful of rows per request.

Building a query through the ORM costs several hundred microseconds on this class of machine; the
statement itself, a few dozen. A submission or a workflow transition runs about ten statements, so
the compile step dominated them (see ADR 0005). These helpers keep the models as the schema and the
field conversions as Django's own (`get_db_prep_save` on the way in, the compiler's converters on
the way out) and only cache the SQL text:

- `insert(objs)`: one multi-row INSERT of model instances (no signals, auto primary keys not read back);
- `Select(model, where=..., params=...)`: a SELECT of whole rows with a fixed WHERE clause;
- `update(model, pk, values, guard=...)`: an UPDATE of named columns of one row, with an optional
  equality guard (optimistic locking), returning the number of rows changed;
- `update_where(model, values, where=..., null=...)`: the same for the rows matching equalities and
  IS NULL tests.

Everything runs on the default connection inside the caller's transaction. While a write plan is
recorded (`planned.run_planned`, ADR 0006), `insert` and the updates convert their values at once and
run when the plan is applied.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import AutoFieldMixin

from yiwang.kernel import planned

M = TypeVar("M", bound=models.Model)

_insert_plans: dict[tuple[Any, ...], tuple[str, list[models.Field[Any, Any]]]] = {}
_update_plans: dict[tuple[Any, ...], tuple[str, list[Any], list[Any]]] = {}


def _insert_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, AutoFieldMixin))]


# Field classes whose value, when it is exactly of this Python type (or None), goes to the database
# unchanged on every backend: Django's conversion would return it as it is.
_EXACT_TYPES: tuple[tuple[type[Any], type[Any]], ...] = (
    (models.BooleanField, bool),
    (models.CharField, str),  # includes SlugField, EmailField, URLField
    (models.TextField, str),
    (models.IntegerField, int),  # includes the small, big and positive variants
)
_plain_plans: dict[type[models.Model], list[tuple[Any, str, type[Any] | None]]] = {}


def _plain_fields(model: type[models.Model], fields: list[Any]) -> list[tuple[Any, str, type[Any] | None]]:
    plan = _plain_plans.get(model)
    if plan is None:
        plan = []
        for f in fields:
            exact = next((t for cls, t in _EXACT_TYPES if isinstance(f, cls)), None)
            if f.is_relation or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                exact = None  # keys convert to the target's type; auto_now sets the value itself
            plan.append((f, f.attname, exact))
        _plain_plans[model] = plan
    return plan


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT the instances (all of one model) with one statement. While a write plan is recorded
    (`planned.planning`), the values are converted now and the statement runs when the plan is applied."""
    if not objs:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    model = type(objs[0])
    key = (model, conn.vendor, len(objs))
    plan = _insert_plans.get(key)
    if plan is None:
        quote = conn.ops.quote_name
        fields = _insert_fields(model)
        cols = ", ".join(quote(str(f.column)) for f in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES " + ", ".join([row] * len(objs))
        plan = _insert_plans[key] = (sql, fields)
    sql, fields = plan
    plain = _plain_fields(model, fields)
    params: list[Any] = []
    for obj in objs:
        values = obj.__dict__
        for f, attname, exact in plain:
            value = values.get(attname) if exact is not None else None
            if exact is not None and (value is None or type(value) is exact):
                params.append(value)  # already what the database takes: nothing to convert
            else:
                params.append(f.get_db_prep_save(f.pre_save(obj, True), conn))
    rows = list(objs)

    def run() -> None:
        _execute(sql, params)
        for obj in rows:
            obj._state.adding = False
            obj._state.db = conn.alias

    _run_or_record(run)


_qmark_sql: dict[str, str] = {}


def _execute(sql: str, params: Sequence[Any], *, fetch: bool = False) -> tuple[int, list[Any]]:
    """Run one statement on the default connection: (rows changed, rows fetched).

    On SQLite the statement goes straight to the driver's connection, in its `?` style, with Django's
    error translation: the cursor wrapper's per-call work (a regex over the SQL, thread and state
    checks) cost as much as a small statement itself. Whenever Django must see the statement (debug
    logging, assertNumQueries, execute wrappers, a broken transaction) or on other databases, it
    takes the usual cursor."""
    conn = connections[DEFAULT_DB_ALIAS]
    raw = conn.connection
    wrappers = conn.execute_wrappers
    # While planning, the only wrapper refuses writes; fastsql records its writes, so what runs
    # then is its reads, which may skip the wrapper.
    if wrappers and wrappers[-1] is planned.reads_only and sql.startswith("SELECT"):
        wrappers = wrappers[:-1]
    if conn.vendor != "sqlite" or raw is None or conn.needs_rollback or conn.queries_logged or wrappers:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount), (cursor.fetchall() if fetch else [])
    native = _qmark_sql.get(sql)
    if native is None:
        if "%%" in sql or sql.count("%") != sql.count("%s"):
            raise ValueError("fastsql statements use %s placeholders and no other %")
        native = _qmark_sql[sql] = sql.replace("%s", "?")
    with conn.wrap_database_errors:
        cursor = raw.execute(native, params)
        return int(cursor.rowcount), (cursor.fetchall() if fetch else [])


def _run_or_record(step: Callable[[], Any]) -> Any:
    recording = planned.current()
    if recording is None:
        return step()
    recording.add(step)
    return None


def update(model: type[models.Model], pk: Any, values: Mapping[str, Any], *,
           guard: Mapping[str, Any] | None = None) -> int:
    """UPDATE the named fields (by attname) of the row `pk`; with `guard`, only where those fields
    still hold those values. Returns the number of rows changed (0 or 1). While a write plan is
    recorded it returns 1 and the statement runs when the plan is applied, where a guard that no
    longer holds raises `planned.Stale`."""
    return update_where(model, values, where={model._meta.pk.attname: pk, **(guard or {})},  # type: ignore[union-attr]
                        stale_if_none=guard is not None)


def update_where(model: type[models.Model], values: Mapping[str, Any], *, where: Mapping[str, Any],
                 null: Sequence[str] = (), stale_if_none: bool = False) -> int:
    """UPDATE the named fields (by attname) of the rows whose `where` fields equal the given values
    and whose `null` fields are NULL. Returns the number of rows changed; while a write plan is
    recorded, the statement runs when the plan is applied and this returns 1 with `stale_if_none`
    (no row changed then raises `planned.Stale`) and 0 without."""
    conn = connections[DEFAULT_DB_ALIAS]
    names, wheres, nulls = tuple(values), tuple(where), tuple(null)
    key = (model, conn.vendor, names, wheres, nulls)
    plan = _update_plans.get(key)
    if plan is None:
        meta = model._meta
        quote = conn.ops.quote_name
        set_fields = [_field(meta, n) for n in names]
        where_fields = [_field(meta, w) for w in wheres]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in set_fields)
        conditions = [f"{quote(f.column)} = %s" for f in where_fields]
        conditions += [f"{quote(_field(meta, n).column)} IS NULL" for n in nulls]
        plan = _update_plans[key] = (f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {' AND '.join(conditions)}",
                                     set_fields, where_fields)
    sql, set_fields, where_fields = plan
    params = [f.get_db_prep_save(values[n], conn) for f, n in zip(set_fields, names, strict=True)]
    params += [f.get_db_prep_value(f.get_prep_value(where[w]), conn, prepared=True)
               for f, w in zip(where_fields, wheres, strict=True)]

    recording = planned.current()

    def run() -> int:
        count, _rows = _execute(sql, params)
        if recording is not None and stale_if_none and count == 0:
            raise planned.Stale(f"{model._meta.label} row changed since it was read")
        return count

    if recording is not None:
        recording.add(run)
        return 1 if stale_if_none else 0
    return run()


def changed(obj: models.Model) -> dict[str, Any]:
    """The fields (by attname) whose values differ from what `Select` loaded, with their new values;
    every concrete field for an instance `Select` did not load. Creation stamps (`auto_now_add`) are
    never among them: they are written once, by the insert."""
    loaded = getattr(obj, "_fastsql_loaded", None)
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
              if not f.primary_key and not getattr(f, "auto_now_add", False)}
    if loaded is None:
        return values
    return {k: v for k, v in values.items() if k not in loaded or loaded[k] != v}


def saved(obj: models.Model, values: Mapping[str, Any]) -> None:
    """Note that `values` (as passed to `update`) are now what the row holds, for `changed`."""
    if getattr(obj, "_fastsql_loaded", None) is not None:
        _remember(obj, values.items(), into=obj._fastsql_loaded)  # type: ignore[attr-defined]


def _remember(obj: models.Model, pairs: Iterable[tuple[str, Any]], into: dict[str, Any] | None = None) -> None:
    # Mutable values (JSON) are copied, so that later in-place edits show up as changes.
    snapshot = into if into is not None else {}
    for name, value in pairs:
        snapshot[name] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
    obj._fastsql_loaded = snapshot  # type: ignore[attr-defined]


def _field(meta: Any, attname: str) -> Any:
    for f in meta.concrete_fields:
        if f.attname == attname or f.name == attname:
            return f
    raise LookupError(f"{meta.label} has no field {attname}")


class Select(Generic[M]):
    """Whole rows of `model` matching a fixed WHERE clause (`%s` placeholders, values converted by
    the fields named in `params`), e.g. `Select(Person, where='"user_id" = %s', params=["user"])`.
    `for_update` locks the rows where the database can (PostgreSQL; SQLite transactions already
    hold the write lock), except while a write plan is made: no transaction is open to hold it.
    `track=False` skips remembering what was read for `changed` (which then names every field)."""

    def __init__(self, model: type[M], *, where: str, params: Sequence[str], order_by: str = "",
                 limit: int | None = None, for_update: bool = False, track: bool = True) -> None:
        self.model = model
        self.where, self.param_fields, self.order_by = where, tuple(params), order_by
        self.limit, self.for_update, self.track = limit, for_update, track
        self._plans: dict[tuple[str, bool], tuple[str, list[str], list[Any], Any]] = {}

    def _plan(self) -> tuple[str, list[str], list[Any], Any]:
        connection = connections[DEFAULT_DB_ALIAS]
        locking = self.for_update and connection.features.has_select_for_update and planned.current() is None
        plan = self._plans.get((connection.vendor, locking))
        if plan is None:
            quote = connection.ops.quote_name
            compiler = self.model._default_manager.all().query.get_compiler(connection.alias)
            compiler.setup_query()
            cols = [c[0] for c in compiler.select]
            converters = compiler.get_converters(cols)
            names = [c.target.attname for c in cols]
            sql = f"SELECT {', '.join(quote(c.target.column) for c in cols)} FROM {quote(self.model._meta.db_table)}"
            sql += f" WHERE {self.where}"
            if self.order_by:
                sql += f" ORDER BY {self.order_by}"
            if self.limit is not None:
                sql += f" LIMIT {int(self.limit)}"
            if locking:
                sql += " FOR UPDATE"
            meta = self.model._meta
            fields = [_field(meta, p) for p in self.param_fields]
            plan = self._plans[(connection.vendor, locking)] = (sql, names, fields, (compiler, converters))
        return plan

    def all(self, *values: Any) -> list[M]:
        sql, names, fields, (compiler, converters) = self._plan()
        conn = connections[DEFAULT_DB_ALIAS]
        params = [f.get_db_prep_value(f.get_prep_value(v), conn, prepared=True) for f, v in zip(fields, values, strict=True)]
        rows: Iterable[Any] = _execute(sql, params, fetch=True)[1]
        if converters:
            rows = compiler.apply_converters(rows, converters)
        out = []
        for r in rows:
            row = tuple(r)
            obj = self.model.from_db(conn.alias, names, row)
            if self.track:  # what was read, for `changed` (mutable values such as JSON are copied by value)
                _remember(obj, zip(names, row, strict=True))
            out.append(obj)
        return out

    def first(self, *values: Any) -> M | None:
        rows = self.all(*values)
        return rows[0] if rows else None
