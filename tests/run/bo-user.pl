#!/usr/bin/perl
# bo-user.pl FILE.bo EDIT...: edit the user programs of a .bo object in
# place, to make the deliberately corrupt objects some tests run (not a
# test itself: run.sh runs only NAME.stp and NAME.sh).  The user programs
# are section .ctap.user, their instructions one after the other (8 bytes
# each, little-endian), so with one user probe in the script instruction
# N of .ctap.user is instruction N of that probe's program.  EDITs:
#   set N HEX        instruction N := the 8 bytes HEX (16 hex digits)
#   store-to OFF     the first store of r0 through r7 (a scalar global in
#                    the globals map, whose control block comes first:
#                    src/bpf/bo.h BoControl) now stores at byte OFF
# Exit status 1, with a message, when the object is not as expected.
use strict;
use warnings;

my $path = shift @ARGV or die "usage: bo-user.pl FILE.bo EDIT...\n";
open(my $fh, '+<:raw', $path) or die "$path: $!\n";
local $/;
my $elf = <$fh>;
die "$path: not a 64-bit little-endian ELF file\n"
  unless substr($elf, 0, 6) eq "\x7fELF\x02\x01";

# The section headers: e_shoff at 0x28, e_shentsize, e_shnum and
# e_shstrndx at 0x3a; a header's name at 0, offset at 24, size at 32.
my $shoff = unpack('Q<', substr($elf, 0x28, 8));
my ($shentsize, $shnum, $shstrndx) = unpack('v3', substr($elf, 0x3a, 6));
my $strtab = unpack('Q<', substr($elf, $shoff + $shstrndx * $shentsize + 24, 8));
my ($user, $size);
for my $i (0 .. $shnum - 1) {
  my $h = $shoff + $i * $shentsize;
  my $name_off = unpack('V', substr($elf, $h, 4));
  my $name = unpack('Z*', substr($elf, $strtab + $name_off, 64));
  next unless $name eq '.ctap.user';
  $user = unpack('Q<', substr($elf, $h + 24, 8));
  $size = unpack('Q<', substr($elf, $h + 32, 8));
}
die "$path: no .ctap.user section\n" unless defined $user;

while (@ARGV) {
  my $op = shift @ARGV;
  if ($op eq 'set') {
    my ($n, $hex) = (shift @ARGV, shift @ARGV);
    die "set: instruction $n is outside .ctap.user ($size bytes)\n" if ($n + 1) * 8 > $size;
    die "set: '$hex' is not 16 hex digits\n" unless $hex =~ /^[0-9a-fA-F]{16}$/;
    substr($elf, $user + $n * 8, 8) = pack('H16', $hex);
  } elsif ($op eq 'store-to') {
    my $off = shift @ARGV;
    my $found = 0;
    for (my $at = 0; $at + 8 <= $size; $at += 8) {
      # STX | MEM | DW (0x7b), dst r7, src r0 (0x07)
      next unless substr($elf, $user + $at, 2) eq "\x7b\x07";
      substr($elf, $user + $at + 2, 2) = pack('v', $off);
      $found = 1;
      last;
    }
    die "store-to: no store of r0 through r7 in .ctap.user\n" unless $found;
  } else {
    die "unknown edit '$op'\n";
  }
}
seek($fh, 0, 0) or die "$path: $!\n";
print $fh $elf;
close($fh) or die "$path: $!\n";
