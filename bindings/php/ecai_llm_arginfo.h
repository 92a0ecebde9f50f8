/* Hand-maintained from ecai_llm.stub.php (gen_stub.php needs network). */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Llm___construct, 0, 0, 1)
	ZEND_ARG_OBJ_INFO(0, ctx, Ecai\\Context, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Llm_set, 0, 2, IS_STATIC, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_MASK(0, value, MAY_BE_STRING|MAY_BE_LONG|MAY_BE_DOUBLE|MAY_BE_BOOL|MAY_BE_NULL, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_chat, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_MASK(0, message, MAY_BE_STRING|MAY_BE_ARRAY, NULL)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, system, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_stream, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_MASK(0, message, MAY_BE_STRING|MAY_BE_ARRAY, NULL)
	ZEND_ARG_TYPE_INFO(0, callback, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, system, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_chatJson, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_MASK(0, message, MAY_BE_STRING|MAY_BE_ARRAY, NULL)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, shape, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, system, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_batch, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, messages, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_lastRaw, 0, 0, IS_STRING, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_cancel, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Llm_attachCache, 0, 1, IS_VOID, 0)
	ZEND_ARG_OBJ_INFO(0, cache, Ecai\\Cache, 1)
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_Llm, __construct);
ZEND_METHOD(Ecai_Llm, set);
ZEND_METHOD(Ecai_Llm, chat);
ZEND_METHOD(Ecai_Llm, stream);
ZEND_METHOD(Ecai_Llm, chatJson);
ZEND_METHOD(Ecai_Llm, batch);
ZEND_METHOD(Ecai_Llm, stats);
ZEND_METHOD(Ecai_Llm, lastRaw);
ZEND_METHOD(Ecai_Llm, cancel);
ZEND_METHOD(Ecai_Llm, attachCache);

static const zend_function_entry class_Ecai_Llm_methods[] = {
	ZEND_ME(Ecai_Llm, __construct, arginfo_class_Ecai_Llm___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, set, arginfo_class_Ecai_Llm_set, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, chat, arginfo_class_Ecai_Llm_chat, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, stream, arginfo_class_Ecai_Llm_stream, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, chatJson, arginfo_class_Ecai_Llm_chatJson, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, batch, arginfo_class_Ecai_Llm_batch, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, stats, arginfo_class_Ecai_Llm_stats, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, lastRaw, arginfo_class_Ecai_Llm_lastRaw, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, cancel, arginfo_class_Ecai_Llm_cancel, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Llm, attachCache, arginfo_class_Ecai_Llm_attachCache, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};
