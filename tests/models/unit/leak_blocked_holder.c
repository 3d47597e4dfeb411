/*
 * @title  a thread blocked for ever still holds what its live locals point to: no leak
 * @description owner ends holding the mutex; user allocates, then blocks on that mutex
 *   for ever with p live. The blocked thread's locals are roots, so p's object is not
 *   leaked (the lock leak and the deadlock are the bugs here).
 * @memory-models sc
 * @thread owner
 * @thread user
 * @expect sc no-lock-leak violated
 * @expect sc no-deadlock violated
 * @expect sc * holds
 */
struct mutex m;
int *g;

void owner(void)
{
	mutex_lock(&m);
}

void user(void)
{
	int *p = kzalloc(sizeof(int), GFP_KERNEL);
	mutex_lock(&m);
	g = p;
	mutex_unlock(&m);
}
