/*
 * @title  among the shortest counterexamples, the one with fewest context switches
 * @description The violation needs three steps: a's store of x, b's store of y, a's read
 *   of y. Two interleavings are shortest: a b a (two switches) and b a a (one switch).
 * @memory-models sc
 * @thread a
 * @thread b
 * @expect sc saw-y violated
 * @expect sc * holds
 */
int x;
int y;

void a(void)
{
	int r;
	WRITE_ONCE(x, 1);
	r = READ_ONCE(y);
	assert_property("saw-y", r == 0);
}

void b(void)
{
	WRITE_ONCE(y, 1);
}
