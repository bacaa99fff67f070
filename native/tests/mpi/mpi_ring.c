/*
 * An MPI job to checkpoint (built once per MPI: mpi_ring.openmpi, mpi_ring.mpich).
 *
 *   mpi_ring STEPS [PAUSE_MS]
 *
 * Each step passes a token around the ring of ranks (MPI_Sendrecv with both
 * neighbours), mixes it into every rank's state and sums the states with
 * MPI_Allreduce.  Rank 0 prints "STEP i SUM" after each step and, at the end,
 * "RESULT x": the output depends only on STEPS and the number of ranks, so a
 * run checkpointed and restarted midway must print the same lines.  The pause
 * between steps (default 100 ms) gives a checkpoint time to land mid-run.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	int rank, size;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	int steps = argc > 1 ? atoi(argv[1]) : 60;
	long pause = argc > 2 ? atol(argv[2]) : 100;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rank == 0)
		printf("RANKS %d\n", size);

	uint64_t state = mix(rank + 1);
	int right = (rank + 1) % size, left = (rank + size - 1) % size;
	for (int i = 1; i <= steps; i++) {
		uint64_t token = state + i, received = 0;
		MPI_Sendrecv(&token, 1, MPI_UINT64_T, right, i, &received, 1, MPI_UINT64_T, left, i, MPI_COMM_WORLD,
			     MPI_STATUS_IGNORE);
		state = mix(state ^ received);
		uint64_t sum = 0;
		MPI_Allreduce(&state, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
		state ^= sum >> 7;
		if (rank == 0)
			printf("STEP %d %016llx\n", i, (unsigned long long)sum);
		pause_ms(pause);
	}
	uint64_t total = 0;
	MPI_Reduce(&state, &total, 1, MPI_UINT64_T, MPI_BXOR, 0, MPI_COMM_WORLD);
	if (rank == 0)
		printf("RESULT %016llx\n", (unsigned long long)total);
	MPI_Finalize();
	return 0;
}
