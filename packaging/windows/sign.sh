#!/bin/sh
# Authenticode-sign Windows files in place from Linux, with osslsigncode
# (engineering-notes §6; Electrum's contrib/build-wine/sign.sh does the same).
#
#   packaging/windows/sign.sh FILE...
#
# The key never enters the repository. Give it through the environment, from
# the CI secret store or a hardware token:
#   SIGN_PKCS12 + SIGN_PASSWORD_FILE    a .p12 file and a file holding its password
#   SIGN_PKCS11_MODULE + SIGN_PKCS11_KEY + SIGN_CERT
#                                       an HSM / token (OV/EV keys must live in
#                                       one since 2023-06-01) and the certificate chain
#   SIGN_TIMESTAMP_URL                  RFC 3161 server of the CA (omit only for tests)
# Usable as makensis -DSIGN_COMMAND=".../sign.sh" so the uninstaller is signed too.
set -eu
[ $# -ge 1 ] || { echo "utilisation : sign.sh FICHIER..." >&2; exit 2; }
command -v osslsigncode >/dev/null || { echo "osslsigncode absent" >&2; exit 1; }

if [ -n "${SIGN_PKCS11_MODULE:-}" ]; then
  key_mode=pkcs11
elif [ -n "${SIGN_PKCS12:-}" ]; then
  key_mode=pkcs12
  : "${SIGN_PASSWORD_FILE:?SIGN_PASSWORD_FILE manquant}"
else
  echo "aucune clé : définir SIGN_PKCS12 ou SIGN_PKCS11_MODULE" >&2
  exit 1
fi

for file in "$@"; do
  if [ "$key_mode" = pkcs11 ]; then
    set -- -pkcs11module "$SIGN_PKCS11_MODULE" -key "$SIGN_PKCS11_KEY" -certs "$SIGN_CERT"
  else
    set -- -pkcs12 "$SIGN_PKCS12" -readpass "$SIGN_PASSWORD_FILE"
  fi
  if [ -n "${SIGN_TIMESTAMP_URL:-}" ]; then
    set -- "$@" -ts "$SIGN_TIMESTAMP_URL"
  fi
  osslsigncode sign "$@" -h sha256 -n "Passerelle" -in "$file" -out "$file.signe"
  mv "$file.signe" "$file"
done
