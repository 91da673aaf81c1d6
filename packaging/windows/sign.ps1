#Requires -Version 5.1
<#
.SYNOPSIS
    Authenticode-sign one file with signtool, then verify it (Windows).

.DESCRIPTION
    Called by build.ps1 for Passerelle.exe and passerelle-cli.exe, and by
    makensis (SIGN_COMMAND) for the uninstaller and the installer. The key is
    never in the repository; choose one source through the environment:

    SIGN_CERT_SHA1     thumbprint of a certificate in the user's store whose
                       key sits on a hardware token / HSM (its CSP/KSP does the
                       signing; OV/EV keys must be on such hardware since 2023-06-01)
    SIGN_DLIB + SIGN_DMDF
                       a cloud signing service's signtool plug-in and its
                       metadata file (e.g. Azure Artifact Signing:
                       Azure.CodeSigning.Dlib.dll + metadata.json)
    SIGN_TIMESTAMP_URL RFC 3161 timestamp server (default: the CA's one must be set;
                       falls back to http://timestamp.digicert.com)
    SIGNTOOL           path to signtool.exe (default: newest Windows SDK one)
#>
param([Parameter(Mandatory)][string]$File)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$SignTool = $env:SIGNTOOL
if (-not $SignTool) {
    $SignTool = Get-ChildItem -Path (Join-Path ${env:ProgramFiles(x86)} "Windows Kits\10\bin") `
        -Recurse -Filter signtool.exe -ErrorAction SilentlyContinue |
        Where-Object { $_.FullName -match "\\x64\\" } |
        Sort-Object FullName -Descending | Select-Object -First 1 -ExpandProperty FullName
}
if (-not $SignTool) { throw "signtool.exe introuvable (Windows SDK)" }

$Timestamp = if ($env:SIGN_TIMESTAMP_URL) { $env:SIGN_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
$SignArgs = @("sign", "/fd", "SHA256", "/tr", $Timestamp, "/td", "SHA256", "/d", "Passerelle")
if ($env:SIGN_DLIB) {
    $SignArgs += @("/dlib", $env:SIGN_DLIB, "/dmdf", $env:SIGN_DMDF)
} elseif ($env:SIGN_CERT_SHA1) {
    $SignArgs += @("/sha1", $env:SIGN_CERT_SHA1)
} else {
    throw "aucune clé de signature : définir SIGN_CERT_SHA1 ou SIGN_DLIB + SIGN_DMDF"
}
& $SignTool @SignArgs $File
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
& $SignTool verify /pa /q $File
exit $LASTEXITCODE
