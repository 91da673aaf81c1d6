"""Reading the imported students back: lists for the window and the CLI, one student's card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from app.errors import PasserelleError
from app.services.siecle_fields import (
    NIVEAUX,
    PARENTES,
    SEXES,
    fold,
    format_address,
    regime_label,
)
from app.services.students_import import ResponsableInfo, StudentDetail, StudentRow
from app.store.database import Database
from app.store.tables.siecle import (
    siecle_divisions,
    siecle_eleves,
    siecle_eleves_divisions,
    siecle_eleves_groupes,
    siecle_eleves_options,
    siecle_liens,
    siecle_matieres,
    siecle_mefs,
    siecle_personnes,
)

_ROW_COLUMNS = (
    siecle_eleves.c.id, siecle_eleves.c.uai, siecle_eleves.c.eleve_id, siecle_eleves.c.ine,
    siecle_eleves.c.nom, siecle_eleves.c.prenom, siecle_eleves.c.date_naissance,
    siecle_eleves.c.division, siecle_eleves.c.code_regime, siecle_eleves.c.sorti_le,
)  # fmt: skip


def _row(r: Any) -> StudentRow:  # a Row of _ROW_COLUMNS
    m = r._mapping
    return StudentRow(
        id=m["id"], uai=m["uai"], eleve_id=m["eleve_id"], ine=m["ine"], nom=m["nom"],
        prenom=m["prenom"], date_naissance=m["date_naissance"], division=m["division"],
        regime=regime_label(m["code_regime"]), sorti_le=m["sorti_le"],
    )  # fmt: skip


def list_students(
    db: Database,
    *,
    uai: str | None = None,
    division: str | None = None,
    search: str = "",
    include_left: bool = True,
) -> list[StudentRow]:
    t = siecle_eleves
    stmt = sa.select(*_ROW_COLUMNS)
    if uai:
        stmt = stmt.where(t.c.uai == uai.strip().upper())
    if division:
        stmt = stmt.where(t.c.division == division)
    if not include_left:
        # A DATE_SORTIE still to come: the student is here until then.
        stmt = stmt.where(sa.or_(t.c.sorti_le.is_(None), t.c.sorti_le > dt.date.today()))
    for word in search.split():
        token = fold(word)
        if not token:
            continue
        stmt = stmt.where(
            sa.or_(
                t.c.cle_identite.contains(token, autoescape=True),
                t.c.eleve_id == word,
                sa.func.upper(t.c.ine) == word.upper(),
            )
        )
    stmt = stmt.order_by(t.c.division.asc().nulls_last(), t.c.nom, t.c.prenom, t.c.id)
    with db.read() as conn:
        return [_row(r) for r in conn.execute(stmt)]


def divisions(db: Database, uai: str | None = None) -> list[str]:
    t, d = siecle_eleves, siecle_divisions
    used = sa.select(t.c.division.label("code")).where(t.c.division.is_not(None))
    defined = sa.select(d.c.code.label("code"))
    if uai:
        used = used.where(t.c.uai == uai)
        defined = defined.where(d.c.uai == uai)
    with db.read() as conn:
        codes = {r.code for r in conn.execute(sa.union(used, defined))}
    return sorted(codes, key=lambda c: (fold(c), c))


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def student_detail(db: Database, student_id: int) -> StudentDetail:
    t = siecle_eleves
    with db.read() as conn:
        found = conn.execute(sa.select(t).where(t.c.id == student_id)).first()
        if found is None:
            raise PasserelleError(
                "Cet élève n'est plus dans la base (la liste n'est plus à jour).",
                code="ELEVE_INCONNU",
            )
        m = found._mapping
        uai = m["uai"]
        mef = None
        if m["code_mef"]:
            label = conn.execute(
                sa.select(siecle_mefs.c.libelle_long).where(
                    siecle_mefs.c.uai == uai, siecle_mefs.c.code == m["code_mef"]
                )
            ).scalar()
            mef = f"{m['code_mef']} – {label}" if label else m["code_mef"]
        o, mat = siecle_eleves_options, siecle_matieres
        options = [
            f"{r.libelle or r.code_matiere}" + (f" ({r.modalite})" if r.modalite else "")
            for r in conn.execute(
                sa.select(o.c.code_matiere, o.c.modalite, mat.c.libelle_long.label("libelle"))
                .outerjoin(mat, sa.and_(mat.c.uai == uai, mat.c.code == o.c.code_matiere))
                .where(o.c.eleve == student_id)
                .order_by(o.c.rang)
            )
        ]
        g = siecle_eleves_groupes
        groupes = list(
            conn.execute(
                sa.select(g.c.groupe).where(g.c.eleve == student_id).order_by(g.c.groupe)
            ).scalars()
        )
        h = siecle_eleves_divisions
        historique = [
            f"{r.division} du {_date(r.du)}" + (f" au {_date(r.au)}" if r.au else " (en cours)")
            for r in conn.execute(
                sa.select(h.c.division, h.c.du, h.c.au)
                .where(h.c.eleve == student_id)
                .order_by(h.c.du, h.c.id)
            )
        ]
        li, pe = siecle_liens, siecle_personnes
        responsables = []
        for r in conn.execute(
            sa.select(li, pe)
            .join(pe, pe.c.id == li.c.personne)
            .where(li.c.eleve == student_id)
            .order_by(li.c.niveau.asc().nulls_last(), li.c.rang_legal.asc().nulls_last(), pe.c.nom)
        ):
            p = r._mapping
            responsables.append(
                ResponsableInfo(
                    nom=p["nom"], prenom=p["prenom"],
                    lien=PARENTES.get(p["code_parente"] or "", p["code_parente"]),
                    niveau=NIVEAUX.get(p["niveau"]) if p["niveau"] is not None else None,
                    telephone=p["tel_portable"] or p["tel_personnel"] or p["tel_professionnel"],
                    mel=p["mel"], adresse=format_address(dict(p)), paie_frais=p["paie_frais"],
                    civilite=p["civilite"],
                )
            )  # fmt: skip
    return StudentDetail(
        row=_row(found),
        sexe=SEXES.get(m["sexe"] or "") or None,
        mef=mef,
        options=options,
        groupes=groupes,
        responsables=responsables,
        historique=historique,
        adresse=format_address(dict(m)),
        statut=m["code_statut"],
        date_entree=m["date_entree"],
        motif_sortie=m["motif_sortie"],
    )
