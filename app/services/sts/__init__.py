"""STS-Web data and the annual timetable (issue #6), without Qt.

Modules, one job each:

* ``retrieval``: « Récupérer les données de STSWEB » (file, NetSynchro, demo);
* ``timetable_import``: EDT_STS, CSV (``csv_courses``) and demo timetables;
* ``courses``: course editing for the GUI;
* ``correspondances``: local resources ↔ STS items (automatic, manual);
* ``compliance``: exportable or not, with the reason; hours;
* ``edt``: snapshot, checks, correspondance writes, readiness, file export;
* ``edt_file``: the EDT_STS bytes; ``send``: NetSynchro send + compte rendu
  (``report_html``);
* ``sts_store`` / ``timetable_store``: the tables (no business rules).

The assistant's logic is :mod:`app.services.sts_wizard`.
"""
