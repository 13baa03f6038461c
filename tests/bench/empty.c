/*
 * empty.c - the floor of a hook's cost in `make bench`: an empty C program,
 * linked statically, started and reaped as a hook is.
 */
int
main(void)
{
	return 0;
}
