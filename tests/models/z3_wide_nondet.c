/*
 * @title  z3: values drawn from a thousand each, against a budget (too many states to enumerate)
 * @description Two producers each add a nondeterministic amount to a shared total under a
 *   lock, but only while it stays within the budget; a consumer checks the budget. The
 *   explicit engine has to enumerate every value (a million totals); z3 keeps them symbolic
 *   and proves the bound with one linear invariant.
 * @memory-models sc
 * @thread producer x2
 * @thread consumer
 * @nondet 0..1000
 * @expect sc * holds
 */
#define BUDGET 1500
struct mutex lock;
int used;

void producer(int id)
{
	int n;
	mutex_lock(&lock);
	n = __VERIFIER_nondet_int();
	if (used + n <= BUDGET)
		used = used + n;
	mutex_unlock(&lock);
}

void consumer(void)
{
	int u;
	mutex_lock(&lock);
	u = used;
	mutex_unlock(&lock);
	assert_property("within-budget", u >= 0 && u <= BUDGET);
}
