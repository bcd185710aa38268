#!/bin/bash
# Runs inside the first stage of every image (FROM ${BASE_IMAGE}, a Debian bookworm with glibc):
# makes OUT a minimal root filesystem for a FROM-scratch final stage.
#
#   rootfs.sh OUT FILE...
#
# - every shared library the ELF FILEs (already placed under OUT) load, as `ldd` lists them,
#   copied to the same path under OUT (plus the dynamic loader);
# - /etc/passwd and /etc/group with root and the service user reddrum (10001:10001),
#   /etc/nsswitch.conf (glibc resolves through files and DNS; both are built into libc);
# - the system CA bundle (for HTTPS to BMCs with verify_tls and no ca_file), when the base has it;
# - /tmp (1777; a tmpfs at run time), /etc/reddrum, and /var/lib/reddrum owned by reddrum, so a
#   fresh named volume mounted there starts with the right owner.
set -euo pipefail
out=$1
shift
[ -d "$out" ] || { echo "rootfs.sh: $out is not a directory" >&2; exit 1; }

missing=0
libs=$(
  for f in "$@"; do
    ldd "$out$f" | while read -r line; do
      case "$line" in
        *"not found"*) echo "rootfs.sh: $f: $line" >&2; echo MISSING ;;
        *"=> /"*) echo "$line" | awk '{print $3}' ;;
        /*) echo "$line" | awk '{print $1}' ;;
      esac
    done
  done | sort -u
)
for lib in $libs; do
  if [ "$lib" = MISSING ]; then missing=1; continue; fi
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
[ "$missing" = 0 ] || { echo "rootfs.sh: unresolved libraries" >&2; exit 1; }

mkdir -p "$out/etc" "$out/tmp" "$out/etc/reddrum" "$out/var/lib/reddrum"
chmod 1777 "$out/tmp"
cat > "$out/etc/passwd" <<'P'
root:x:0:0:root:/root:/sbin/nologin
reddrum:x:10001:10001:reddrum:/var/lib/reddrum:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
P
cat > "$out/etc/group" <<'G'
root:x:0:
reddrum:x:10001:
nogroup:x:65534:
G
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$out/etc/nsswitch.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$out/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
fi
chown -R 10001:10001 "$out/var/lib/reddrum"
chmod 0750 "$out/var/lib/reddrum"
echo "rootfs.sh: $(du -sh "$out" | cut -f1) in $out: $# program(s), $(echo "$libs" | grep -c /) libraries"
