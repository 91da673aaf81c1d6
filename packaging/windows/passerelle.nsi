; Passerelle: Windows installer (NSIS 3, Modern UI 2, French).
;
; Per-user by default, without administrator rights, into
; %LOCALAPPDATA%\Programs\Passerelle. "/ALLUSERS" (run as administrator, e.g.
; by the school's IT for a silent deployment) installs into Program Files for
; every account instead:
;     Passerelle-<version>-installation.exe /S                 per-user, silent
;     Passerelle-<version>-installation.exe /S /ALLUSERS       all users, silent
;     Passerelle-<version>-installation.exe /D=C:\Autre\Dossier
; Uninstaller: keeps the user's base, copies, certificates and logs
; (%LOCALAPPDATA%\Passerelle) unless their removal is ticked, or /SUPPRIMER_DONNEES
; is given with /S.
;
; Defines (makensis /DNAME=value), so the same script compiles against the
; Windows payload (build.ps1) and the Linux check payload (make installer-check):
;   VERSION       package version, e.g. 0.1.0                      (required)
;   VERSION_WIN   four-part version, e.g. 0.1.0.0                  (required)
;   PAYLOAD_DIR   PyInstaller onedir folder, relative to this file (..\dist\Passerelle)
;   GUI_EXE       windowed program in PAYLOAD_DIR                  (Passerelle.exe)
;   CLI_EXE       console program in PAYLOAD_DIR                   (passerelle-cli.exe)
;   OUTFILE       installer to write                               (..\dist\Passerelle-VERSION-installation.exe)
;   COMPRESSOR    lzma (release) or zlib (quick checks)            (lzma)
;   SIGN_COMMAND  optional; command that Authenticode-signs "%1". Signs the
;                 uninstaller while it is embedded and the installer at the end.
;
; Identity: the uninstall key is named after a fixed GUID (APP_ID), never
; changed between versions, so a newer installer finds the previous one,
; removes its files (keeping the data) and installs in the same folder.

Unicode true
ManifestDPIAware true
ManifestSupportedOS all
RequestExecutionLevel user

!ifndef VERSION
  !error "VERSION manquant : makensis /DVERSION=x.y.z /DVERSION_WIN=x.y.z.0 passerelle.nsi"
!endif
!ifndef VERSION_WIN
  !error "VERSION_WIN manquant (quatre nombres, par exemple 0.1.0.0)"
!endif
!ifndef PAYLOAD_DIR
  !define PAYLOAD_DIR "..\dist\Passerelle"
!endif
!ifndef GUI_EXE
  !define GUI_EXE "Passerelle.exe"
!endif
!ifndef CLI_EXE
  !define CLI_EXE "passerelle-cli.exe"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\Passerelle-${VERSION}-installation.exe"
!endif
!ifndef COMPRESSOR
  !define COMPRESSOR "lzma"
!endif

!define APP_NAME "Passerelle"
!define APP_ID "{4EC6D1DD-EBB0-4352-A72B-ADC524B198C8}"
!define PUBLISHER "Passerelle"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define UNINSTALLER "Desinstaller.exe"
; platformdirs.user_data_dir("Passerelle", appauthor=False, roaming=False)
!define DATA_SUBDIR "Passerelle"
!define ICON "..\..\resources\icons\passerelle.ico"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "Sections.nsh"
!include "FileFunc.nsh"
!include "WordFunc.nsh"
!include "x64.nsh"

SetCompressor /SOLID ${COMPRESSOR}
Name "${APP_NAME}"
Caption "Installation de ${APP_NAME} ${VERSION}"
BrandingText "${APP_NAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
ShowInstDetails hide
ShowUninstDetails hide

!ifdef SIGN_COMMAND
  ; Code signing: the uninstaller is signed while makensis embeds it, the
  ; installer once written ("%1" is the file). The inner programs were signed
  ; before makensis (build.ps1). No key is ever stored in the repository.
  !uninstfinalize '${SIGN_COMMAND} "%1"' = 0
  !finalize '${SIGN_COMMAND} "%1"' = 0
!endif

VIProductVersion "${VERSION_WIN}"
VIFileVersion "${VERSION_WIN}"

; ------------------------------------------------------------------ pages
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC

!define MUI_WELCOMEPAGE_TEXT "Cet assistant va installer ${APP_NAME} ${VERSION}, l'outil d'échanges NetSynchro (SIECLE, STSWEB) du secrétariat.$\r$\n$\r$\nAucun droit d'administrateur n'est nécessaire. Si une version précédente est installée, elle sera remplacée ; la base et les certificats sont conservés.$\r$\n$\r$\nCliquez sur Suivant pour continuer."
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipDirectoryOnUpgrade
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Ouvrir ${APP_NAME}"
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "${APP_NAME} va être désinstallé. La base, les copies et les certificats sont conservés, sauf si vous cochez leur suppression à l'étape suivante."
!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_TEXT_TOP "Cochez « Supprimer aussi mes données » seulement si vous ne réutiliserez plus Passerelle sur ce poste : la base, ses copies et les certificats seront définitivement effacés."
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "French"

VIAddVersionKey /LANG=${LANG_FRENCH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_FRENCH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_FRENCH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_FRENCH} "FileDescription" "Installation de ${APP_NAME}"
VIAddVersionKey /LANG=${LANG_FRENCH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_FRENCH} "LegalCopyright" "© ${PUBLISHER}"

; -------------------------------------------------------------- variables
Var AllUsers        ; "1" for a /ALLUSERS installation
Var DataDir         ; the current user's data directory (never inside $INSTDIR)
Var PreviousDir     ; folder of an installation found in the registry
Var PreviousVersion

; ----------------------------------------------------------------- helpers
!macro SelectMode UN
Function ${UN}SelectMode
  ; The data directory is per user, whatever the installation mode.
  SetShellVarContext current
  StrCpy $DataDir "$LOCALAPPDATA\${DATA_SUBDIR}"
  ${If} $AllUsers == "1"
    UserInfo::GetAccountType
    Pop $0
    ${If} $0 != "admin"
      MessageBox MB_ICONSTOP|MB_OK "L'installation pour tous les utilisateurs (/ALLUSERS) demande les droits d'administrateur : lancez le programme en tant qu'administrateur." /SD IDOK
      SetErrorLevel 740 ; ERROR_ELEVATION_REQUIRED
      Quit
    ${EndIf}
    SetShellVarContext all
    ${If} ${RunningX64}
      SetRegView 64
    ${EndIf}
  ${EndIf}
FunctionEnd
!macroend
!insertmacro SelectMode ""
!insertmacro SelectMode "un."

; Wait until the program is closed: Windows locks a running executable.
!macro WaitUntilClosed EXE
  ${If} ${FileExists} "$INSTDIR\${EXE}"
    ${Do}
      ClearErrors
      FileOpen $0 "$INSTDIR\${EXE}" a
      ${IfNot} ${Errors}
        FileClose $0
        ${Break}
      ${EndIf}
      ${If} ${Cmd} `MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "Passerelle est ouvert. Fermez-le (menu Fichier, Quitter), puis cliquez sur Réessayer." /SD IDCANCEL IDCANCEL`
        Abort "Passerelle est encore ouvert : rien n'a été modifié."
      ${EndIf}
    ${Loop}
  ${EndIf}
!macroend

; ----------------------------------------------------------------- install
Function .onInit
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/ALLUSERS" $R1
  ${IfNot} ${Errors}
    StrCpy $AllUsers "1"
  ${EndIf}
  Call SelectMode
  ${If} $AllUsers == "1"
  ${AndIf} $INSTDIR == "$LOCALAPPDATA\Programs\${APP_NAME}"
    ; default folder (no /D=): Program Files for everyone
    StrCpy $INSTDIR "$PROGRAMFILES64\${APP_NAME}"
  ${EndIf}

  ; Upgrade in place: same identity (APP_ID), same mode.
  ReadRegStr $PreviousDir SHCTX "${UNINST_KEY}" "InstallLocation"
  ReadRegStr $PreviousVersion SHCTX "${UNINST_KEY}" "DisplayVersion"
  ${If} $PreviousDir != ""
    StrCpy $INSTDIR $PreviousDir
    ${VersionCompare} "${VERSION}" "$PreviousVersion" $R2
    ${If} $R2 == "2"
      ${IfNot} ${Cmd} `MessageBox MB_YESNO|MB_ICONQUESTION "Une version plus récente de Passerelle ($PreviousVersion) est déjà installée. Installer quand même la version ${VERSION} ?" /SD IDNO IDYES`
        Abort
      ${EndIf}
    ${EndIf}
  ${EndIf}
FunctionEnd

Function SkipDirectoryOnUpgrade
  ${If} $PreviousDir != ""
    Abort ; an upgrade goes where the previous version is
  ${EndIf}
FunctionEnd

Function .onVerifyInstDir
  ; Never install into (or over) the user's data: uninstalling would risk it.
  StrLen $0 $DataDir
  StrCpy $1 $INSTDIR $0
  ${If} $1 == $DataDir
    StrCpy $2 $INSTDIR 1 $0
    ${If} $2 == ""
    ${OrIf} $2 == "\"
      Abort
    ${EndIf}
  ${EndIf}
FunctionEnd

Section "Passerelle" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  !insertmacro WaitUntilClosed "${GUI_EXE}"
  !insertmacro WaitUntilClosed "${CLI_EXE}"

  ${If} $PreviousDir != ""
  ${AndIf} ${FileExists} "$PreviousDir\${UNINSTALLER}"
    DetailPrint "Remplacement de la version $PreviousVersion (données conservées)"
    ; _?= runs the old uninstaller in place and waits; without
    ; /SUPPRIMER_DONNEES it never touches the data directory.
    ExecWait '"$PreviousDir\${UNINSTALLER}" /S _?=$PreviousDir' $0
    Delete "$PreviousDir\${UNINSTALLER}"
  ${EndIf}
  ; A stale module from an older build must not shadow a new one.
  RMDir /r "$INSTDIR\_internal"

  File /r "${PAYLOAD_DIR}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0

  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE},0"
  WriteRegStr SHCTX "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr SHCTX "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegStr SHCTX "${UNINST_KEY}" "InstallMode" "$AllUsers"
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Raccourci sur le bureau" SecDesktop
  CreateShortCut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
SectionEnd

; --------------------------------------------------------------- uninstall

Section "un.Passerelle (programme)" UnSecApp
  SectionIn RO
  !insertmacro WaitUntilClosed "${GUI_EXE}"
  !insertmacro WaitUntilClosed "${CLI_EXE}"
  ; Only what the installer put there: never a recursive delete of $INSTDIR.
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  DeleteRegKey SHCTX "${UNINST_KEY}"
SectionEnd

Section /o "un.Supprimer aussi mes données (base, copies, certificats, journaux)" UnSecData
  ; The current user's data only; other accounts keep theirs. The certificate
  ; secrets left in the Credential Manager are useless without these files.
  ${If} ${FileExists} "$DataDir\*"
    DetailPrint "Suppression de $DataDir"
    RMDir /r "$DataDir"
  ${EndIf}
SectionEnd

Function un.onInit
  ; The uninstaller runs in the mode of the installation it belongs to.
  ReadRegStr $0 HKLM "${UNINST_KEY}" "InstallLocation"
  ${If} ${RunningX64}
    SetRegView 64
    ReadRegStr $0 HKLM "${UNINST_KEY}" "InstallLocation"
    SetRegView lastused
  ${EndIf}
  ${If} $0 == $INSTDIR
    StrCpy $AllUsers "1"
  ${EndIf}
  Call un.SelectMode
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SUPPRIMER_DONNEES" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${UnSecData}
  ${EndIf}
FunctionEnd
