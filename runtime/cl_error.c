/* cl_error.c -- OpenCL error codes as names, in every message the runtime
 * gives: "CL_INVALID_WORK_GROUP_SIZE (-54)" says what -54 never does. */
#include "cl_impl.h"

#include <time.h>

const char *rt_cl_errname(int code)
{
    switch (code) {
#define E(x)                                                                                       \
    case x:                                                                                        \
        return #x;
        E(CL_SUCCESS)
        E(CL_DEVICE_NOT_FOUND)
        E(CL_DEVICE_NOT_AVAILABLE)
        E(CL_COMPILER_NOT_AVAILABLE)
        E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        E(CL_OUT_OF_RESOURCES)
        E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE)
        E(CL_MEM_COPY_OVERLAP)
        E(CL_IMAGE_FORMAT_MISMATCH)
        E(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        E(CL_BUILD_PROGRAM_FAILURE)
        E(CL_MAP_FAILURE)
        E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        E(CL_COMPILE_PROGRAM_FAILURE)
        E(CL_LINKER_NOT_AVAILABLE)
        E(CL_LINK_PROGRAM_FAILURE)
        E(CL_DEVICE_PARTITION_FAILED)
        E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        E(CL_INVALID_VALUE)
        E(CL_INVALID_DEVICE_TYPE)
        E(CL_INVALID_PLATFORM)
        E(CL_INVALID_DEVICE)
        E(CL_INVALID_CONTEXT)
        E(CL_INVALID_QUEUE_PROPERTIES)
        E(CL_INVALID_COMMAND_QUEUE)
        E(CL_INVALID_HOST_PTR)
        E(CL_INVALID_MEM_OBJECT)
        E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        E(CL_INVALID_IMAGE_SIZE)
        E(CL_INVALID_SAMPLER)
        E(CL_INVALID_BINARY)
        E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM)
        E(CL_INVALID_PROGRAM_EXECUTABLE)
        E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION)
        E(CL_INVALID_KERNEL)
        E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE)
        E(CL_INVALID_ARG_SIZE)
        E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION)
        E(CL_INVALID_WORK_GROUP_SIZE)
        E(CL_INVALID_WORK_ITEM_SIZE)
        E(CL_INVALID_GLOBAL_OFFSET)
        E(CL_INVALID_EVENT_WAIT_LIST)
        E(CL_INVALID_EVENT)
        E(CL_INVALID_OPERATION)
        E(CL_INVALID_GL_OBJECT)
        E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_MIP_LEVEL)
        E(CL_INVALID_GLOBAL_WORK_SIZE)
        E(CL_INVALID_PROPERTY)
        E(CL_INVALID_IMAGE_DESCRIPTOR)
        E(CL_INVALID_COMPILER_OPTIONS)
        E(CL_INVALID_LINKER_OPTIONS)
        E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -1001:
        return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
        return "CL_UNKNOWN_ERROR";
    }
}

/* What a user can do about the codes that come from their own inputs. */
static const char *hint(cl_int code)
{
    switch (code) {
    case CL_INVALID_WORK_GROUP_SIZE:
        return " (the local size must divide the global size in every dimension and"
               " stay within the device's and the kernel's work-group limit)";
    case CL_INVALID_WORK_ITEM_SIZE:
        return " (a local size exceeds the device's CL_DEVICE_MAX_WORK_ITEM_SIZES)";
    case CL_INVALID_KERNEL_ARGS:
        return " (an argument was not set)";
    case CL_INVALID_KERNEL_NAME:
        return " (no __kernel of that name in the program)";
    case CL_OUT_OF_RESOURCES:
        return " (the device ran out of memory, registers or local memory for this"
               " work-group size, or a kernel accessed memory out of bounds)";
    case CL_INVALID_IMAGE_SIZE:
        return " (image larger than the device's image2d limit)";
    default:
        return "";
    }
}

int rt_cl_fail(dn_err *e, const char *what, cl_int code)
{
    return dn_errf(e, "%s: %s (%d)%s", what, rt_cl_errname(code), (int)code, hint(code));
}

int rt_cl_is_oom(cl_int code)
{
    return code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES ||
           code == CL_OUT_OF_HOST_MEMORY || code == CL_INVALID_BUFFER_SIZE;
}

int rt_cl_oom(rt_cl_ctx *c, dn_err *e, size_t wanted, const char *detail)
{
    const rt_cl_device_info *d = &c->info;
    char want[64] = "";
    if (wanted) snprintf(want, sizeof want, "wanted %.1f MB, ", wanted / 1048576.0);
    return dn_errf(e, "out of device memory: %sdevice has %.1f MB (%s): %s", want,
                   d->global_mem / 1048576.0, d->name, detail);
}

double rt_cl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
