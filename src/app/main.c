/* main.c - entry point (scaffold; replaced by the plugin dispatcher). */
#include <stdio.h>

int
main(void)
{
	fputs("stash2plex: scaffold\n", stderr);
	return 2;
}
