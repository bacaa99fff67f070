/*
 * The JNI bridge: org.cryo.engine.NativeEngine <-> cryo.h.
 *
 * Thin on purpose (as Netty's transport): convert arguments, call the engine,
 * turn a struct cryo_error into an org.cryo.engine.EngineException.  No logic
 * lives here.  Natives are registered in JNI_OnLoad so the C names stay
 * readable and a missing method fails at load time, not at first call.
 */
#include <errno.h>
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryo/cryo.h"

#define NATIVE_ENGINE_CLASS   "org/cryo/engine/NativeEngine"
#define ENGINE_EXCEPTION      "org/cryo/engine/EngineException"
#define ENGINE_EXCEPTION_INIT "(Ljava/lang/String;ILjava/lang/String;Ljava/lang/String;I)V"

/* Global references and ids resolved once in JNI_OnLoad. */
static jclass    engine_exception_class;
static jmethodID engine_exception_init;

static void throw_engine_exception(JNIEnv *env, const struct cryo_error *err)
{
	jstring msg = (*env)->NewStringUTF(env, err->msg[0] ? err->msg : "engine error");
	jstring resource = (*env)->NewStringUTF(env, err->resource);
	jstring syscall = (*env)->NewStringUTF(env, err->syscall);
	if (!msg || !resource || !syscall)
		return;         /* OutOfMemoryError already pending */

	jobject ex = (*env)->NewObject(env, engine_exception_class, engine_exception_init,
				       msg, (jint)err->pid, resource, syscall, (jint)err->err);
	if (ex)
		(*env)->Throw(env, (jthrowable)ex);
}

/* A Java-side precondition failure, reported like an engine error. */
static void throw_invalid_argument(JNIEnv *env, const char *what)
{
	struct cryo_error err = { .err = EINVAL };
	strncpy(err.resource, "arguments", sizeof(err.resource) - 1);
	strncpy(err.msg, what, sizeof(err.msg) - 1);
	throw_engine_exception(env, &err);
}

/* The struct cryo_error must start zeroed: the engine may leave fields unset. */
static void clear_error(struct cryo_error *err)
{
	memset(err, 0, sizeof(*err));
}

/* The engine copies strings it keeps (err->msg is a fixed array), so releasing
 * UTF chars straight after the call is safe. */
static const char *path_chars(JNIEnv *env, jstring path)
{
	if (!path) {
		throw_invalid_argument(env, "path is null");
		return NULL;
	}
	return (*env)->GetStringUTFChars(env, path, NULL);
}

static void native_check_target(JNIEnv *env, jclass cls, jint pid)
{
	struct cryo_error err;
	clear_error(&err);
	if (cryo_check_target((pid_t)pid, &err) < 0)
		throw_engine_exception(env, &err);
}

static void native_verify(JNIEnv *env, jclass cls, jstring path)
{
	const char *cpath = path_chars(env, path);
	if (!cpath)
		return;

	struct cryo_error err;
	clear_error(&err);
	int rc = cryo_verify_file(cpath, &err);
	(*env)->ReleaseStringUTFChars(env, path, cpath);
	if (rc < 0)
		throw_engine_exception(env, &err);
}

static void out_of_memory(struct cryo_error *err)
{
	err->err = ENOMEM;
	strncpy(err->resource, "memory", sizeof(err->resource) - 1);
	strncpy(err->msg, "out of memory describing the context file", sizeof(err->msg) - 1);
}

/* The engine's JSON, gathered in memory: ASCII, so valid modified UTF-8 as it stands. */
static jstring describe_with(JNIEnv *env, jstring path, int (*describe)(const char *, FILE *, struct cryo_error *))
{
	const char *cpath = path_chars(env, path);
	if (!cpath)
		return NULL;

	struct cryo_error err;
	clear_error(&err);
	char *json = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&json, &len);
	int rc = out ? describe(cpath, out, &err) : -1;
	if (!out || (fclose(out) && !rc)) {
		out_of_memory(&err);
		rc = -1;
	}
	(*env)->ReleaseStringUTFChars(env, path, cpath);
	jstring result = NULL;
	if (rc < 0)
		throw_engine_exception(env, &err);
	else
		result = (*env)->NewStringUTF(env, json);
	free(json);
	return result;
}

static jstring native_describe(JNIEnv *env, jclass cls, jstring path)
{
	return describe_with(env, path, cryo_describe);
}

static jstring native_describe_summary(JNIEnv *env, jclass cls, jstring path)
{
	return describe_with(env, path, cryo_describe_summary);
}

static const JNINativeMethod native_engine_methods[] = {
	{ "nativeCheckTarget", "(I)V", (void *)native_check_target },
	{ "nativeVerify", "(Ljava/lang/String;)V", (void *)native_verify },
	{ "nativeDescribe", "(Ljava/lang/String;)Ljava/lang/String;", (void *)native_describe },
	{ "nativeDescribeSummary", "(Ljava/lang/String;)Ljava/lang/String;", (void *)native_describe_summary },
};

JNIEXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved)
{
	JNIEnv *env;
	if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
		return JNI_ERR;

	jclass exception = (*env)->FindClass(env, ENGINE_EXCEPTION);
	if (!exception)
		return JNI_ERR;
	engine_exception_init = (*env)->GetMethodID(env, exception, "<init>", ENGINE_EXCEPTION_INIT);
	if (!engine_exception_init)
		return JNI_ERR;
	engine_exception_class = (*env)->NewGlobalRef(env, exception);
	if (!engine_exception_class)
		return JNI_ERR;

	jclass engine = (*env)->FindClass(env, NATIVE_ENGINE_CLASS);
	if (!engine)
		return JNI_ERR;
	jint count = (jint)(sizeof(native_engine_methods) / sizeof(native_engine_methods[0]));
	if ((*env)->RegisterNatives(env, engine, native_engine_methods, count) != JNI_OK)
		return JNI_ERR;

	return JNI_VERSION_1_8;
}

JNIEXPORT void JNI_OnUnload(JavaVM *vm, void *reserved)
{
	JNIEnv *env;
	if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
		return;
	if (engine_exception_class)
		(*env)->DeleteGlobalRef(env, engine_exception_class);
	engine_exception_class = NULL;
}
