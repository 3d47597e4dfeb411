/*
 * @title  allocation failure within the fault budget (@faults 1)
 * @description Each allocation may fail while the budget lasts: either one of the two
 *   can fail (never-fails is violated), but never both (at-most-one-failure holds).
 *   With --faults 2 both can fail; with --faults 0 none does.
 * @memory-models sc
 * @thread t
 * @faults 1
 * @expect sc never-fails violated
 * @expect sc * holds
 */
int *a;
int *b;

void t(void)
{
	int *p = kvcalloc(1, sizeof(int), GFP_KERNEL);
	int *q = kvcalloc(1, sizeof(int), GFP_KERNEL);
	assert_property("at-most-one-failure", p || q);
	assert_property("never-fails", p && q);
	a = p;
	b = q;
}
