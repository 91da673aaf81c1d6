"""Checks that need several SIECLE files at once (pure: ids in, anomalies out)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from app.domain.school_year import year_label
from app.domain.siecle import Anomaly, ResponsableLink, SiecleHeader
from app.formats.siecle import codes


def links_to_unknown_students(
    student_ids: Collection[str], links: Iterable[ResponsableLink]
) -> list[Anomaly]:
    """One anomaly per link whose ELEVE_ID is not among ``student_ids``.

    ``student_ids`` should cover every student of the Élèves export, left ones
    included: the Responsables export still lists their parents.
    """
    anomalies: list[Anomaly] = []
    for link in links:
        if link.eleve_id not in student_ids:
            anomalies.append(
                Anomaly(
                    codes.LIEN_ELEVE_INCONNU,
                    f"La personne PERSONNE_ID {link.personne_id} est liée à l'élève ELEVE_ID "
                    f"{link.eleve_id}, absent du fichier des élèves.",
                    link.eleve_id,
                )
            )
    return anomalies


def inconsistent_headers(headers: Sequence[tuple[str, SiecleHeader]]) -> list[Anomaly]:
    """Files given together must come from one establishment and one year (as pyKol checks)."""
    if not headers:
        return []
    first_name, first = headers[0]
    anomalies: list[Anomaly] = []
    for name, header in headers[1:]:
        if header.uai != first.uai:
            anomalies.append(
                Anomaly(
                    codes.FICHIERS_INCOHERENTS,
                    f"« {name} » vient de l'établissement {header.uai}, « {first_name} » de "
                    f"{first.uai}.",
                    severity="erreur",
                )
            )
        if header.annee != first.annee:
            anomalies.append(
                Anomaly(
                    codes.FICHIERS_INCOHERENTS,
                    f"« {name} » concerne l'année {year_label(header.annee)}, « {first_name} » "
                    f"l'année {year_label(first.annee)}.",
                    severity="erreur",
                )
            )
    return anomalies
