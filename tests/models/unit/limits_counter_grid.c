/*
 * @title  three threads, each taking a mutex four times: a few thousand states, all holding
 * @description Used by the tests of --max-states, --max-depth and --timeout: cut short,
 *   the run must say incomplete, never holds.
 * @memory-models sc
 * @thread worker x3
 * @expect sc * holds
 */
#define ROUNDS 4
struct mutex lock;
int count;
int mine[3];

void worker(int id)
{
	int i;
	for (i = 0; i < ROUNDS; i++) {
		mutex_lock(&lock);
		count = count + 1;
		mutex_unlock(&lock);
		WRITE_ONCE(mine[id], i + 1);
	}
	assert(READ_ONCE(mine[id]) == ROUNDS);
}
