/*
 * @title  a value wider than 16 bits: z3 BMC widens its vectors and finds the violation
 * @description BMC starts with 16-bit vectors; the sum needs 17 bits, which is an encoding
 *   limit: the limit must be kept in the per-depth queries (the inductive facts cannot
 *   exclude it), found, and lifted to 32 bits, never silently wrapped.
 * @memory-models sc
 * @thread adder x2
 * @expect sc assertions violated
 * @expect sc * holds
 */
struct mutex lock;
int total;

void adder(int id)
{
	mutex_lock(&lock);
	total = total + 40000;
	mutex_unlock(&lock);
	assert(total != 80000);
}
