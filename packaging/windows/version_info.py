"""Windows version resource of the executables, rendered from the package version.

The PyInstaller spec calls :func:`render` and hands the text to ``EXE(version=...)``
on Windows (PyInstaller reads this ``VSVersionInfo(...)`` syntax). Explorer's
"Détails" tab and the SmartScreen prompt show these strings.
"""

from __future__ import annotations

TEMPLATE = """\
# Rendered by packaging/passerelle.spec from packaging/windows/version_info.py; do not edit.
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers},
    prodvers={numbers},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable('040C04B0', [
        StringStruct('CompanyName', {company!r}),
        StringStruct('FileDescription', {description!r}),
        StringStruct('FileVersion', {version!r}),
        StringStruct('InternalName', {internal_name!r}),
        StringStruct('LegalCopyright', {copyright!r}),
        StringStruct('OriginalFilename', {original_filename!r}),
        StringStruct('ProductName', 'Passerelle'),
        StringStruct('ProductVersion', {version!r})
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [0x040C, 1200])])
  ]
)
"""

COMPANY = "Passerelle"
COPYRIGHT = "© Passerelle. Tous droits réservés."


def render(
    version: str,
    numbers: tuple[int, int, int, int],
    *,
    original_filename: str,
    description: str,
) -> str:
    """The version file for one executable (French, Unicode: 040C04B0)."""
    return TEMPLATE.format(
        numbers=numbers,
        version=version,
        company=COMPANY,
        description=description,
        internal_name=original_filename.rsplit(".", 1)[0],
        copyright=COPYRIGHT,
        original_filename=original_filename,
    )
