# stap -p4 -m NAME builds NAME.bo; staprun runs it with a global set as a
# module option; -o FILE; a corrupt object is a clear error.
"$STAP" -p4 -m ctap_test -e 'global interval = 1; probe begin { printf("interval=%d\n", interval); exit() }'
"$STAPRUN" ctap_test.bo interval=5
"$STAPRUN" -o out.txt ctap_test.bo
cat out.txt
head -c 300 ctap_test.bo > cut.bo
"$STAPRUN" cut.bo 2>err.txt; echo "truncated rc=$?"
grep -c "cut.bo" err.txt
echo "not elf" > junk.bo
"$STAPRUN" junk.bo 2>/dev/null; echo "junk rc=$?"
