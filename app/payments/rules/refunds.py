"""Refund quotes for online products by formula (R-REF-1 … R-REF-7, R-REF-9 … R-REF-11). Pure.

`quote_refund(case)` turns a `RefundCase` (what was bought, paid, watched and used, and the
request day) into a `RefundQuote`: which rule applies, each fee, the deductions, the refund split
into cash and points, and a breakdown a member can read (ja/en). Executing a refund calls it again
with the execution day (R-REF-11: recomputed on that day). Physical goods are `goods.py` (R-REF-8).

Terms (SPEC §8): L list price, P paid (cash + points; 1 point = ¥1), N lectures, W lectures
watched, T base access days, E days used. Period fee = floor(L × E / T); lecture fee =
floor(L × W / N); penalty = floor(10% of P); every fee is rounded down on its own (R-REF-11).

- R-REF-1 single course, within 7 days: full refund if W ≤ 2 (N ≤ 5: W ≤ 1), else
  P − max(lecture fee, period fee).
- R-REF-2 single course, after 7 days: P − period fee; when W ≥ 3 (N ≤ 5: W ≥ 2),
  P − max(lecture fee, period fee).
- R-REF-3 package or pass, within 7 days: full refund if W ≤ 2, else P − max(lecture, period).
- R-REF-4 package or pass, after 7 days: P − period fee − penalty.
- R-REF-5 paid extension: P − period fee, and − penalty after 7 days.
- R-REF-6 bonus items not returned: their list price is deducted.
- R-REF-7 refused (`rule == "R-REF-7"`, `refusal_reason`): period_ended, base_days_used_up (E > T,
  bonus days notwithstanding), certificate_issued (a pass: all of its certificates),
  deductions_exceed_paid (deductions ≥ P).
- R-REF-9 the member bears the refund cost (configurable, default ¥0).
- R-REF-10 deductions are taken from the cash part first; the rest of the points come back.

Decisions where SPEC §8 is silent (seed 003 read where it helps):

- "Within 7 days": request day ≤ payment day + 7 (payment day is day 0), so day 7 is within and
  day 8 is after. E counts both ends from access start (default: the payment day) to the request
  day: a request on the first access day has E = 1. A request before access starts (an extension
  bought ahead) has E = 0. E = T is still refundable; E = T + 1 is `base_days_used_up`.
- Bonus deduction (R-REF-6) applies within 7 days too, including "full" refunds: the seed's general
  clause (2-③) says additional goods given at purchase must come back or their price is deducted,
  whatever the timing. It applies to any product kind that lists bonus items (R-REF-6 names
  package/pass/extension, which are the ones that have them).
- The refund cost (R-REF-9) is a deduction like the others and applies only when the payment had
  a cash part: points coming back in kind cost nothing to move. A "full refund" is full of usage
  fees; unreturned bonus items and the refund cost are still deducted.
- Refusal reasons are checked in the order period_ended, certificate_issued, base_days_used_up,
  deductions_exceed_paid; the quote still shows the fees so staff can see why.
- The N ≤ 5 threshold exists for single courses only (R-REF-3 has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from app.kit.calendar import days_inclusive
from app.kit.money import percent_of, prorate

WITHIN_DAYS = 7
"""R-REF-1/3/5: "within 7 days" = request day ≤ payment day + 7."""

PENALTY_PERCENT = 10
"""R-REF-4/5: penalty = 10% of P."""

SMALL_COURSE_MAX_LECTURES = 5
"""R-REF-1/2: a single course with N ≤ 5 lectures uses the lower watched threshold."""


class ProductKind(StrEnum):
    single_course = "single_course"
    package = "package"
    pass_ = "pass"
    extension = "extension"


class RefundRefusal(StrEnum):
    period_ended = "period_ended"
    base_days_used_up = "base_days_used_up"
    certificate_issued = "certificate_issued"
    deductions_exceed_paid = "deductions_exceed_paid"


class UsageFeeBasis(StrEnum):
    lecture = "lecture"
    period = "period"


@dataclass(frozen=True)
class BonusItem:
    """R-REF-6: a bonus given with the product; deducted at list price unless returned."""

    name: str
    list_price_jpy: int
    is_returned: bool


@dataclass(frozen=True)
class RefundCase:
    """Everything a refund formula reads, as plain values (the service gathers them)."""

    kind: ProductKind
    list_price_jpy: int
    paid_cash_jpy: int
    paid_points: int
    lectures_total: int
    lectures_watched: int
    base_access_days: int
    paid_on: date
    requested_on: date
    access_ends_on: date
    """The last day of access, bonus days included (R-REF-7 period_ended after it)."""
    certificate_issued: bool = False
    """For a pass: all of its certificates were issued."""
    bonus_items: Sequence[BonusItem] = ()
    refund_cost_jpy: int = 0
    access_starts_on: date | None = None
    """First day of access, from which E counts; None = the payment day."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bonus_items", tuple(self.bonus_items))
        for name in ("list_price_jpy", "paid_cash_jpy", "paid_points", "refund_cost_jpy"):
            _non_negative_int(getattr(self, name), name)
        _non_negative_int(self.lectures_total, "lectures_total")
        _non_negative_int(self.lectures_watched, "lectures_watched")
        _non_negative_int(self.base_access_days, "base_access_days")
        for item in self.bonus_items:
            _non_negative_int(item.list_price_jpy, "bonus list_price_jpy")
        if self.base_access_days < 1:
            raise ValueError("base_access_days must be >= 1")
        if self.kind is not ProductKind.extension and self.lectures_total < 1:
            raise ValueError("a course, package or pass has at least one lecture")
        if self.lectures_watched > self.lectures_total:
            raise ValueError("lectures_watched cannot exceed lectures_total")
        if self.requested_on < self.paid_on:
            raise ValueError("requested_on is before paid_on")

    @property
    def paid_jpy(self) -> int:
        """P: cash plus points (1 point = ¥1)."""
        return self.paid_cash_jpy + self.paid_points

    @property
    def is_within_7_days(self) -> bool:
        """R-REF-1/3/5: the request day is at most 7 days after the payment day (day 0)."""
        return (self.requested_on - self.paid_on).days <= WITHIN_DAYS

    @property
    def days_used(self) -> int:
        """E: access start to request day, both counted; 0 before access starts."""
        start = self.access_starts_on or self.paid_on
        return days_inclusive(start, self.requested_on) if self.requested_on >= start else 0


def _non_negative_int(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if value < 0:
        raise ValueError(f"{name} must be >= 0")


@dataclass(frozen=True)
class BreakdownLine:
    """One line of a quote: + for what was paid, − for each deduction; the lines add up to
    P − deductions (R-REF-11)."""

    code: str
    amount_jpy: int
    ja: str
    en: str


@dataclass(frozen=True)
class RefundQuote:
    rule: str
    """The rule that decides: R-REF-1 … R-REF-5, or R-REF-7 when refused."""
    formula_rule: str
    """The formula's rule (R-REF-1 … R-REF-5), also when R-REF-7 refuses."""
    refundable: bool
    refusal_reason: RefundRefusal | None
    is_within_7_days: bool
    is_full_refund: bool
    """The formula charges no usage fee (R-REF-1/3 with few lectures watched)."""
    days_used: int
    paid_jpy: int
    lecture_fee_jpy: int | None
    """floor(L × W / N) when the formula considers it, else None."""
    period_fee_jpy: int | None
    """floor(L × E / T) when the formula considers it, else None."""
    usage_fee_jpy: int
    """The usage fee deducted: the lecture or period fee (the higher when both count) or 0."""
    usage_fee_basis: UsageFeeBasis | None
    penalty_jpy: int
    bonus_deduction_jpy: int
    refund_cost_jpy: int
    deductions_jpy: int
    refund_total_jpy: int
    refund_cash_jpy: int
    refund_points: int
    lines: tuple[BreakdownLine, ...] = field(default=())


def quote_refund(case: RefundCase) -> RefundQuote:
    """R-REF-1 … R-REF-7, R-REF-9 … R-REF-11: the refund of `case` on its request day."""
    within = case.is_within_7_days
    e = case.days_used
    n, w = case.lectures_total, case.lectures_watched
    lecture_fee = prorate(case.list_price_jpy, w, n) if n else 0
    period_fee = prorate(case.list_price_jpy, e, case.base_access_days)

    uses_lecture_fee = uses_period_fee = has_penalty = False
    if case.kind is ProductKind.single_course:
        threshold = 1 if n <= SMALL_COURSE_MAX_LECTURES else 2
        formula_rule = "R-REF-1" if within else "R-REF-2"
        if w > threshold:
            uses_lecture_fee = uses_period_fee = True
        elif not within:
            uses_period_fee = True
    elif case.kind in (ProductKind.package, ProductKind.pass_):
        if within:
            formula_rule = "R-REF-3"
            uses_lecture_fee = uses_period_fee = w > 2
        else:
            formula_rule = "R-REF-4"
            uses_period_fee = has_penalty = True
    else:
        formula_rule = "R-REF-5"
        uses_period_fee = True
        has_penalty = not within

    basis: UsageFeeBasis | None = None
    usage_fee = 0
    if uses_lecture_fee and lecture_fee > period_fee:
        basis, usage_fee = UsageFeeBasis.lecture, lecture_fee
    elif uses_period_fee:
        basis, usage_fee = UsageFeeBasis.period, period_fee
    penalty = percent_of(case.paid_jpy, PENALTY_PERCENT) if has_penalty else 0
    bonus = sum(item.list_price_jpy for item in case.bonus_items if not item.is_returned)
    refund_cost = case.refund_cost_jpy if case.paid_cash_jpy > 0 else 0
    deductions = usage_fee + penalty + bonus + refund_cost

    refusal = _refusal(case, e, deductions)
    if refusal is None:
        # R-REF-10: deductions come out of the cash part first; the rest comes back in kind.
        cash = max(0, case.paid_cash_jpy - deductions)
        points = case.paid_points - max(0, deductions - case.paid_cash_jpy)
    else:
        cash = points = 0

    lines = _breakdown(
        case,
        e=e,
        lecture_fee=lecture_fee if uses_lecture_fee else None,
        period_fee=period_fee,
        usage_fee=usage_fee,
        basis=basis,
        penalty=penalty,
        refund_cost=refund_cost,
    )
    return RefundQuote(
        rule="R-REF-7" if refusal else formula_rule,
        formula_rule=formula_rule,
        refundable=refusal is None,
        refusal_reason=refusal,
        is_within_7_days=within,
        is_full_refund=not (uses_lecture_fee or uses_period_fee),
        days_used=e,
        paid_jpy=case.paid_jpy,
        lecture_fee_jpy=lecture_fee if uses_lecture_fee else None,
        period_fee_jpy=period_fee if uses_period_fee else None,
        usage_fee_jpy=usage_fee,
        usage_fee_basis=basis,
        penalty_jpy=penalty,
        bonus_deduction_jpy=bonus,
        refund_cost_jpy=refund_cost,
        deductions_jpy=deductions,
        refund_total_jpy=cash + points,
        refund_cash_jpy=cash,
        refund_points=points,
        lines=lines,
    )


def _refusal(case: RefundCase, e: int, deductions: int) -> RefundRefusal | None:
    """R-REF-7, in a fixed order so one case always gets the same reason."""
    if case.requested_on > case.access_ends_on:
        return RefundRefusal.period_ended
    if case.certificate_issued:
        return RefundRefusal.certificate_issued
    if e > case.base_access_days:
        return RefundRefusal.base_days_used_up
    if deductions >= case.paid_jpy:
        return RefundRefusal.deductions_exceed_paid
    return None


def _yen(amount: int) -> str:
    return f"¥{amount:,}"


def _breakdown(
    case: RefundCase,
    *,
    e: int,
    lecture_fee: int | None,
    period_fee: int,
    usage_fee: int,
    basis: UsageFeeBasis | None,
    penalty: int,
    refund_cost: int,
) -> tuple[BreakdownLine, ...]:
    """R-REF-11: the quote's lines; they add up to P − deductions."""
    lines: list[BreakdownLine] = []
    if case.paid_cash_jpy:
        lines.append(
            BreakdownLine("paid_cash", case.paid_cash_jpy, "お支払い金額(現金)", "Paid in cash")
        )
    if case.paid_points:
        lines.append(
            BreakdownLine(
                "paid_points", case.paid_points, "お支払い金額(ポイント)", "Paid in points"
            )
        )
    lp, n, w, t = (
        case.list_price_jpy,
        case.lectures_total,
        case.lectures_watched,
        case.base_access_days,
    )
    if basis is UsageFeeBasis.lecture:
        lines.append(
            BreakdownLine(
                "lecture_fee",
                -usage_fee,
                f"コンテンツ利用料金 {_yen(lp)} × 受講 {w} 講座 ÷ 全 {n} 講座"
                f"(受講期間による {_yen(period_fee)} より高い方)",
                f"Lecture fee {_yen(lp)} × {w} watched ÷ {n} lectures"
                f" (higher than the period fee {_yen(period_fee)})",
            )
        )
    elif basis is UsageFeeBasis.period:
        lines.append(
            BreakdownLine(
                "period_fee",
                -usage_fee,
                f"受講期間分の利用料金 {_yen(lp)} × {e} 日 ÷ 基本受講期間 {t} 日",
                f"Period fee {_yen(lp)} × {e} days used ÷ {t} base days",
            )
        )
        if lecture_fee is not None:
            # Both fees count (R-REF-1/2/3 with W above the threshold): say why this one.
            lines[-1] = BreakdownLine(
                "period_fee",
                -usage_fee,
                lines[-1].ja + f"(受講講座数による {_yen(lecture_fee)} 以上)",
                lines[-1].en + f" (not less than the lecture fee {_yen(lecture_fee)})",
            )
    if penalty:
        lines.append(
            BreakdownLine(
                "penalty",
                -penalty,
                f"違約金(お支払い金額の {PENALTY_PERCENT}%)",
                f"Penalty ({PENALTY_PERCENT}% of the amount paid)",
            )
        )
    for item in case.bonus_items:
        if not item.is_returned and item.list_price_jpy:
            lines.append(
                BreakdownLine(
                    "bonus_deduction",
                    -item.list_price_jpy,
                    f"未返却の特典「{item.name}」の定価",
                    f"List price of the unreturned bonus item “{item.name}”",
                )
            )
    if refund_cost:
        lines.append(
            BreakdownLine("refund_cost", -refund_cost, "返金手数料(会員負担)", "Refund cost")
        )
    return tuple(lines)
