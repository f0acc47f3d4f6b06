/* images/dwarf/fixture2.c — a second unit for fixture.c: a file static sharing a name with one there. */
static int file_static_a = 22;
int *fixture2_static(void) { return &file_static_a; }
