package org.cryo.engine;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Heap (small and mmap'd chunks), sbrk growth, stack frames, a sparse anonymous mapping and a read-only page survive a restart (program native/tests/programs/mem_heap_stack.c). */
class MemHeapStackTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void heapStackAndAnonymousMappingsComeBack() throws Exception {
        CheckpointHarness.checkpointRestartAndPass("mem_heap_stack");
    }
}
