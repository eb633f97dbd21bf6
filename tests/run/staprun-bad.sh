# staprun given something that is not a usable object: an empty file, a
# text file, an ELF file of another kind (the x86-64 workload executable),
# a truncated object, one whose section header offset points past its end,
# a missing file and a directory.  Each is a clear error: exit status 1,
# nothing on standard output, an "ERROR: " line on standard error that
# names the file, and no crash (no sanitizer report, no signal).
"$STAP" --runtime=bpf -p4 -m ctap_good -e 'probe begin { println("should not run"); exit() }' > /dev/null 2> build.err \
  || { echo "could not build the object"; cat build.err >&2; }
: > empty.bo
echo "not an object at all" > text.bo
cp "$WORKLOAD" foreign.bo
size=$(stat -c %s ctap_good.bo)
head -c $((size / 2)) ctap_good.bo > truncated.bo
cp ctap_good.bo badshoff.bo
# e_shoff (offset 0x28, 8 bytes, little-endian) := 0x7fffffff
printf '\xff\xff\xff\x7f\x00\x00\x00\x00' | dd of=badshoff.bo bs=1 seek=40 conv=notrunc status=none
mkdir dir.bo
for f in empty.bo text.bo foreign.bo truncated.bo badshoff.bo missing.bo dir.bo; do
  "$STAPRUN" "$f" > out.txt 2> err.txt
  rc=$?
  named=no; grep -q "^ERROR: .*${f%.bo}" err.txt && named=yes
  crash=no; grep -qE 'Sanitizer|runtime error:' err.txt && crash=yes
  echo "$f: rc=$rc stdout=$(wc -c < out.txt) error-naming-file=$named crash=$crash"
  [[ $named == yes && $crash == no ]] || sed "s/^/$f: /" err.txt >&2
done
