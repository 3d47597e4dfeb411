/*
 * @title  a long local loop is an engine limit, not a bug
 * @description The thread counts to 200,000 in a local variable between two shared
 *   accesses: more local steps than the explicit engine runs in one transition. The
 *   run must say incomplete (exit 3), not that an assertion failed.
 * @thread t
 * @memory-models sc
 */
int done;

void t(void)
{
	int i;
	int n = 0;
	for (i = 0; i < 200000; i++)
		n = n + 1;
	assert(n == 200000);
	done = 1;
}
