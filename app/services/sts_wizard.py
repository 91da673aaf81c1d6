"""The « Envoyer les emplois du temps vers STSWEB avec l'assistant » logic, without Qt.

A plain class (gui-style.md, "Wizard logic as a plain class") that the Qt
wizard drives and the tests drive headless. Six steps:

1. établissement, school year and freshness of the STS data (offer to retrieve);
2. « Établir les correspondances »: what is missing per resource type;
3. « Mettre les cours en conformité »: non-exportable courses and their reason;
4. récapitulatif: what will be sent (counts, hours per teacher and division);
5. envoi;
6. compte rendu.

Navigation: ``next()`` only when the current step is valid; ``back()`` from
steps 2–5 until the send starts, never after (a sent file cannot be unsent).
Reading is implicit (:meth:`refresh`); every write is an explicit method whose
name says so and which returns what changed, then refreshes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

from app.domain.school_year import year_label
from app.errors import PasserelleError
from app.netsynchro.client import RetryPolicy
from app.security.certificates import CertificateStore
from app.services.sts import edt, retrieval
from app.services.sts.compliance import CourseStatus, HoursLine
from app.services.sts.correspondances import LocalItem
from app.services.sts.edt import EdtSnapshot, SendSummary
from app.services.sts.retrieval import StsRetrieval
from app.services.sts.send import Progress, SendResult, send_timetable
from app.store.database import Database

STALE_AFTER_DAYS = 30


class Step(IntEnum):
    ETABLISSEMENT = 1
    CORRESPONDANCES = 2
    CONFORMITE = 3
    RECAPITULATIF = 4
    ENVOI = 5
    COMPTE_RENDU = 6


TITLES = {
    Step.ETABLISSEMENT: "Établissement et données STSWEB",
    Step.CORRESPONDANCES: "Établir les correspondances",
    Step.CONFORMITE: "Mettre les cours en conformité",
    Step.RECAPITULATIF: "Récapitulatif de l'envoi",
    Step.ENVOI: "Envoi vers STSWEB",
    Step.COMPTE_RENDU: "Compte rendu",
}


@dataclass(frozen=True)
class StepState:
    """Whether the step lets the user go on, and why not (French)."""

    valid: bool
    message: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Freshness:
    year_label: str
    retrieved: dt.datetime | None
    source: str | None
    age_days: int | None

    @property
    def stale(self) -> bool:
        """Missing or older than 30 days: the GUI offers to retrieve now."""
        return self.age_days is None or self.age_days > STALE_AFTER_DAYS


class SendWizard:
    def __init__(
        self,
        db: Database,
        uai: str,
        *,
        store: CertificateStore | None = None,
        retry: RetryPolicy | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.db = db
        self.uai = uai
        self.store = store
        self.retry = retry
        self._now = now
        self.step = Step.ETABLISSEMENT
        self.result: SendResult | None = None
        self._sending = False
        self.snapshot: EdtSnapshot = edt.snapshot(db, uai)

    # -- reading --------------------------------------------------------------

    def refresh(self) -> EdtSnapshot:
        self.snapshot = edt.snapshot(self.db, self.uai)
        return self.snapshot

    @property
    def title(self) -> str:
        return TITLES[self.step]

    def freshness(self) -> Freshness:
        fresh = self.snapshot.freshness
        if fresh is None:
            return Freshness(year_label(self.snapshot.annee), None, None, None)
        age = (self._now() - fresh.recupere_le).days
        return Freshness(year_label(self.snapshot.annee), fresh.recupere_le, fresh.source, age)

    def missing_correspondances(self) -> dict[str, int]:
        """Local resources *used by a course* without a valid STS match, per type."""
        snap = self.snapshot
        used = {
            "enseignant": {t for c in snap.data.courses for t in c.teacher_ids},
            "matiere": {c.matiere_id for c in snap.data.courses},
            "structure": {c.structure_id for c in snap.data.courses},
            "modalite": {c.modalite_id for c in snap.data.courses if c.modalite_id is not None},
        }
        return {
            kind: sum(1 for item in view.local_items if item.id in used[kind] and not item.matched)
            for kind, view in snap.correspondances.kinds.items()
        }

    def non_exportable(self) -> list[CourseStatus]:
        return self.snapshot.report.blocked

    def summary(self) -> SendSummary | None:
        ready, _ = edt.readiness(self.db, self.uai)
        return ready.summary

    def teacher_hours(self) -> list[HoursLine]:
        return self.snapshot.report.teacher_hours

    def structure_hours(self) -> list[HoursLine]:
        return self.snapshot.report.structure_hours

    # -- validity and navigation --------------------------------------------------

    def state(self, step: Step | None = None) -> StepState:
        step = step or self.step
        snap = self.snapshot
        if step is Step.ETABLISSEMENT:
            problems = edt.global_problems(snap)
            if problems:
                return StepState(False, problems[0], problems)
            fresh = self.freshness()
            note = (f" Elles datent de {fresh.age_days} jours : récupérez-les à nouveau si des "
                    "services ont changé." if fresh.stale else "")  # fmt: skip
            return StepState(True, f"Données STSWEB {fresh.year_label} présentes.{note}")
        if step is Step.CORRESPONDANCES:
            missing = {k: n for k, n in self.missing_correspondances().items() if n}
            if missing:
                labels = {k: v.label for k, v in snap.correspondances.kinds.items()}
                details = [f"{labels[k]} : {n} sans correspondance" for k, n in missing.items()]
                return StepState(False, "Des éléments utilisés par les cours n'ont pas de "
                                 "correspondance dans STSWEB.", details)  # fmt: skip
            return StepState(True, "Toutes les correspondances sont établies.")
        if step is Step.CONFORMITE:
            blocked = snap.report.blocked
            if blocked:
                return StepState(False, f"{len(blocked)} cours ne peuvent pas être envoyés.",
                                 [f"{s.description} : {s.reason_text}" for s in blocked])
            warnings = len(snap.report.warnings)
            return StepState(True, "Tous les cours sont exportables."
                             + (f" {warnings} avertissement(s) à vérifier." if warnings else ""))
        if step is Step.RECAPITULATIF:
            return StepState(True, "Vérifiez le récapitulatif, puis envoyez.")
        if step is Step.ENVOI:
            if self.result is None:
                return StepState(False, "L'envoi n'a pas encore eu lieu.")
            return StepState(True, "Envoi terminé.")
        return StepState(True, "")

    def can_go_next(self) -> bool:
        return self.step is not Step.COMPTE_RENDU and self.state().valid

    def can_go_back(self) -> bool:
        return Step.CORRESPONDANCES <= self.step <= Step.ENVOI and not self._sending \
            and self.result is None

    @property
    def is_last(self) -> bool:
        return self.step is Step.COMPTE_RENDU

    def next(self) -> Step:
        if not self.can_go_next():
            raise PasserelleError(self.state().message, code="ASSISTANT_ETAPE")
        self.step = Step(self.step + 1)
        return self.step

    def back(self) -> Step:
        if not self.can_go_back():
            raise PasserelleError("Impossible de revenir en arrière à cette étape.",
                                  code="ASSISTANT_RETOUR")  # fmt: skip
        self.step = Step(self.step - 1)
        return self.step

    # -- explicit writes ------------------------------------------------------------

    def retrieve_sts_from_file(self, path: Path) -> StsRetrieval:
        """Writes: replaces the STS data (journaled, after a copy of the base)."""
        done = retrieval.retrieve_from_file(self.db, self.uai, path)
        self.refresh()
        return done

    def retrieve_sts_by_netsynchro(
        self,
        *,
        progress: Callable[[int, int | None], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> StsRetrieval:
        """Writes: replaces the STS data with NetSynchro's (journaled)."""
        done = retrieval.retrieve_by_netsynchro(self.db, self.uai, store=self.store,
                                                progress=progress, cancel=cancel,
                                                retry=self.retry)  # fmt: skip
        self.refresh()
        return done

    def auto_match(self) -> dict[str, int]:
        """Writes: automatic correspondances; returns how many were added per type."""
        added = edt.run_auto_match(self.db, self.uai)
        self.refresh()
        return added

    def set_correspondance(self, kind: str, local_id: int, sts_key: str | None) -> LocalItem:
        """Writes: one manual correspondance (None: "no match")."""
        item = edt.set_correspondance(self.db, self.uai, kind, local_id, sts_key)
        self.refresh()
        return item

    def send(self, *, progress: Progress | None = None,
             cancel: threading.Event | None = None) -> SendResult:  # fmt: skip
        """Sends (step 5 only); on success the wizard moves to the compte rendu."""
        if self.step is not Step.ENVOI:
            raise PasserelleError("L'envoi se fait à l'étape « Envoi vers STSWEB ».",
                                  code="ASSISTANT_ETAPE")  # fmt: skip
        self._sending = True
        try:
            result = send_timetable(self.db, self.uai, store=self.store, progress=progress,
                                    cancel=cancel, retry=self.retry)  # fmt: skip
        finally:
            self._sending = False
        self.refresh()
        if not result.blocked:
            self.result = result
            self.step = Step.COMPTE_RENDU
        return result
