/*
 * @title  z3: pointer arithmetic into a heap array, masks and division
 * @description A writer allocates an array of N counters and publishes it; a reader picks
 *   an index with a mask and a division (both in range) and one past the end (out of
 *   bounds). Exercises heap offsets, '&' with a mask, '/', and the bounds check.
 * @memory-models sc
 * @thread writer
 * @thread reader
 * @nondet 0..7
 * @expect sc no-out-of-bounds violated
 * @expect sc * holds
 */
#define N 4
int *arr;

void writer(void)
{
	int *a = kcalloc(N, sizeof(int), GFP_KERNEL);
	int i;
	for (i = 0; i < N; i++)
		a[i] = i * 3;
	smp_store_release(&arr, a);
}

void reader(void)
{
	int *a = smp_load_acquire(&arr);
	int k = __VERIFIER_nondet_int();
	if (!a)
		return;
	assert_property("masked", a[k & 3] == (k & 3) * 3);
	assert_property("halved", a[k / 2] % 3 == 0 || k / 2 >= N);
	if (k == 7)
		a[(k + 1) / 2] = 0;
}
