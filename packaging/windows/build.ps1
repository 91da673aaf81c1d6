#Requires -Version 5.1
<#
.SYNOPSIS
    Build, test, sign and package Passerelle for Windows (run on Windows).

.DESCRIPTION
    1. a virtual environment (.venv-win) installed from the pinned, hashed
       Windows lock packaging\windows\requirements-win.txt;
    2. the test suite (offscreen Qt; PostgreSQL and real-keyring tests skip
       themselves without their servers);
    3. PyInstaller with packaging\passerelle.spec (onedir: Passerelle.exe +
       passerelle-cli.exe);
    4. the smoke test of the frozen programs (packaging\smoke_test.py), a check
       of the version resource, and the measurements (packaging\measure.py);
    5. with -Sign: signs Passerelle.exe and passerelle-cli.exe (signtool);
    6. makensis packaging\windows\passerelle.nsi (with -Sign the uninstaller and
       the installer are signed by makensis through sign.ps1);
    7. a silent install / upgrade / uninstall round trip of the installer in a
       temporary folder, checking that the user's data is kept.

    Signing material never lives in the repository: sign.ps1 reads it from the
    environment (see packaging\README.md, "Signature du code").

.PARAMETER PythonExe
    Python 3.11 interpreter used to create the virtual environment.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
.EXAMPLE
    $env:SIGN_CERT_SHA1 = "…"; .\packaging\windows\build.ps1 -Sign
#>
[CmdletBinding()]
param(
    [string]$PythonExe = "py",
    [string[]]$PythonArgs = @("-3.11"),
    [switch]$SkipTests,
    [switch]$SkipInstallTest,
    [switch]$Sign
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root
$Dist = Join-Path $Root "packaging\dist"
$Payload = Join-Path $Dist "Passerelle"
$Started = Get-Date

function Invoke-Checked {
    param([Parameter(Mandatory)][string]$Exe, [string[]]$Arguments = @())
    Write-Host "> $Exe $($Arguments -join ' ')"
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe a échoué (code $LASTEXITCODE)" }
}

function Step([string]$Title) {
    $elapsed = [int]((Get-Date) - $Started).TotalSeconds
    Write-Host "`n=== $Title (+$elapsed s) ===" -ForegroundColor Cyan
}

# ------------------------------------------------------------------ 1. venv
Step "Environnement Python"
$Venv = Join-Path $Root ".venv-win"
$Py = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $Py)) {
    Invoke-Checked $PythonExe ($PythonArgs + @("-m", "venv", $Venv))
}
Invoke-Checked $Py @("-m", "pip", "install", "--quiet", "--upgrade", "pip")
Invoke-Checked $Py @("-m", "pip", "install", "--quiet", "--require-hashes",
    "-r", "packaging\windows\requirements-win.txt")
Invoke-Checked $Py @("-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
$Version = (& $Py packaging\version.py).Trim()
$VersionWin = (& $Py packaging\version.py --windows).Trim()
Write-Host "Passerelle $Version ($VersionWin), $(& $Py --version)"

# ----------------------------------------------------------------- 2. tests
if (-not $SkipTests) {
    Step "Tests"
    $env:QT_QPA_PLATFORM = "offscreen"
    try {
        Invoke-Checked $Py @("-m", "pytest", "-q", "-p", "no:cacheprovider")
    } finally {
        Remove-Item Env:QT_QPA_PLATFORM -ErrorAction SilentlyContinue
    }
}

# ----------------------------------------------------------- 3. PyInstaller
Step "PyInstaller"
if (Test-Path $Payload) { Remove-Item -Recurse -Force $Payload }
Invoke-Checked $Py @("-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
    "--distpath", $Dist, "--workpath", "packaging\build", "packaging\passerelle.spec")

# ------------------------------------------------------------ 4. smoke test
Step "Smoke test du programme installé"
Invoke-Checked $Py @("packaging\smoke_test.py", $Payload)
foreach ($exe in @("Passerelle.exe", "passerelle-cli.exe")) {
    $info = (Get-Item (Join-Path $Payload $exe)).VersionInfo
    if ($info.ProductVersion -ne $Version -or $info.ProductName -ne "Passerelle") {
        throw "$exe : ressource de version inattendue ($($info.ProductName) $($info.ProductVersion))"
    }
}
# Two OpenSSL builds side by side is the usual cause of ssl import failures
# (Picard's win-build-fixes.ps1): list where they ended up, for the log.
Get-ChildItem -Recurse $Payload -Include "libssl*.dll", "libcrypto*.dll" |
    ForEach-Object { Write-Host "OpenSSL : $($_.FullName.Substring($Payload.Length))" }
Invoke-Checked $Py @("packaging\measure.py", $Payload, "--json",
    (Join-Path $Dist "mesures-windows.json"))

# --------------------------------------------------- 5. sign inner programs
$SignScript = Join-Path $PSScriptRoot "sign.ps1"
if ($Sign) {
    Step "Signature des programmes"
    foreach ($exe in @("Passerelle.exe", "passerelle-cli.exe")) {
        & $SignScript (Join-Path $Payload $exe)
        if ($LASTEXITCODE -ne 0) { throw "signature de $exe en échec" }
    }
}

# ------------------------------------------------------------- 6. makensis
Step "Installateur NSIS"
$Makensis = (Get-Command makensis.exe -ErrorAction SilentlyContinue)
if ($Makensis) { $Makensis = $Makensis.Source }
else { $Makensis = Join-Path ${env:ProgramFiles(x86)} "NSIS\makensis.exe" }
if (-not (Test-Path $Makensis)) { throw "makensis introuvable : installer NSIS 3 (choco install nsis)" }
$Installer = Join-Path $Dist "Passerelle-$Version-installation.exe"
if (Test-Path $Installer) { Remove-Item -Force $Installer }
$NsisArgs = @("/V2", "/DVERSION=$Version", "/DVERSION_WIN=$VersionWin",
    "/DOUTFILE=$Installer")
if ($Sign) {
    # makensis runs it on the uninstaller (!uninstfinalize) and the installer (!finalize)
    $NsisArgs += "/DSIGN_COMMAND=powershell -NoProfile -ExecutionPolicy Bypass -File `"$SignScript`""
}
$NsisArgs += (Join-Path $PSScriptRoot "passerelle.nsi")
Invoke-Checked $Makensis $NsisArgs
Write-Host ("Installateur : {0} ({1:N1} Mo)" -f $Installer, ((Get-Item $Installer).Length / 1MB))

# ------------------------------------------- 7. install round trip (silent)
if (-not $SkipInstallTest) {
    Step "Installation, mise à jour et désinstallation silencieuses"
    $Target = Join-Path $env:TEMP ("passerelle-install-" + [guid]::NewGuid().ToString("N"))
    $DataDir = Join-Path $env:LOCALAPPDATA "Passerelle"
    $Key = "HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\{4EC6D1DD-EBB0-4352-A72B-ADC524B198C8}"
    $Marker = Join-Path $DataDir "conserve-par-la-desinstallation.txt"
    $HadData = Test-Path $DataDir
    New-Item -ItemType Directory -Force $DataDir | Out-Null
    Set-Content -Path $Marker -Value "test build.ps1"

    function Install-Silent {
        # /D= must be last and unquoted (NSIS rule)
        $p = Start-Process -Wait -PassThru -FilePath $Installer -ArgumentList @("/S", "/D=$Target")
        if ($p.ExitCode -ne 0) { throw "installation silencieuse : code $($p.ExitCode)" }
    }
    Install-Silent
    $Cli = Join-Path $Target "passerelle-cli.exe"
    $Out = & $Cli --version
    if ($LASTEXITCODE -ne 0 -or $Out -ne "Passerelle $Version") { throw "programme installé : $Out" }
    if ((Get-ItemProperty $Key).DisplayVersion -ne $Version) { throw "clé de désinstallation absente" }
    if (-not (Test-Path (Join-Path ([Environment]::GetFolderPath("Programs")) "Passerelle.lnk"))) {
        throw "raccourci du menu Démarrer absent"
    }
    Install-Silent   # same version again: the upgrade path (old uninstaller run silently)
    if (-not (Test-Path $Marker)) { throw "la mise à jour a supprimé les données de l'utilisateur" }

    $Uninstaller = Join-Path $Target "Desinstaller.exe"
    $p = Start-Process -Wait -PassThru -FilePath $Uninstaller -ArgumentList @("/S", "_?=$Target")
    if ($p.ExitCode -ne 0) { throw "désinstallation : code $($p.ExitCode)" }
    if (Test-Path (Join-Path $Target "_internal")) { throw "désinstallation incomplète" }
    if (Test-Path $Key) { throw "clé de désinstallation restée" }
    if (-not (Test-Path $Marker)) { throw "la désinstallation a supprimé les données de l'utilisateur" }

    if ($HadData) {
        # A developer's machine with real data: never test the removal there.
        Remove-Item -Force $Marker
        Write-Warning "$DataDir existait déjà : suppression des données non testée ici"
    } else {
        Install-Silent   # and the explicit removal of the data (CI runners only)
        $p = Start-Process -Wait -PassThru -FilePath $Uninstaller -ArgumentList @("/S", "/SUPPRIMER_DONNEES", "_?=$Target")
        if ($p.ExitCode -ne 0) { throw "désinstallation /SUPPRIMER_DONNEES : code $($p.ExitCode)" }
        if (Test-Path $Marker) { throw "/SUPPRIMER_DONNEES n'a pas supprimé les données" }
    }
    Remove-Item -Recurse -Force $Target -ErrorAction SilentlyContinue
    Write-Host "Installation, mise à jour, désinstallation : conformes"
}

Step "Terminé"
Get-ChildItem $Dist -Filter "Passerelle-*-installation.exe" | ForEach-Object {
    Write-Host ("{0} {1:N1} Mo" -f $_.Name, ($_.Length / 1MB))
}
