/* Hand-maintained from ecai_guard.stub.php (gen_stub.php needs network). */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Guard___construct, 0, 0, 0)
	ZEND_ARG_OBJ_TYPE_MASK(0, context, Ecai\\Context, MAY_BE_STRING|MAY_BE_NULL, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Guard_set, 0, 2, Ecai\\Guard, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_MASK(0, value, MAY_BE_STRING|MAY_BE_ARRAY|MAY_BE_LONG|MAY_BE_DOUBLE|MAY_BE_NULL, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Guard_setCatalog, 0, 1, Ecai\\Guard, 0)
	ZEND_ARG_TYPE_INFO(0, prices, IS_ARRAY, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Guard_checkInput, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, text, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, history, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Guard_checkOutput, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, answer, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, sources, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Guard_confidence, 0, 2, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, retrieval, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO(0, grounding, IS_DOUBLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, model, IS_DOUBLE, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Guard_redact, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, text, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, mapping, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Guard_restore, 0, 2, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, text, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, mapping, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_METHOD(Ecai_Guard, __construct);
ZEND_METHOD(Ecai_Guard, set);
ZEND_METHOD(Ecai_Guard, setCatalog);
ZEND_METHOD(Ecai_Guard, checkInput);
ZEND_METHOD(Ecai_Guard, checkOutput);
ZEND_METHOD(Ecai_Guard, confidence);
ZEND_METHOD(Ecai_Guard, redact);
ZEND_METHOD(Ecai_Guard, restore);

static const zend_function_entry class_Ecai_Guard_methods[] = {
	ZEND_ME(Ecai_Guard, __construct, arginfo_class_Ecai_Guard___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Guard, set, arginfo_class_Ecai_Guard_set, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Guard, setCatalog, arginfo_class_Ecai_Guard_setCatalog, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Guard, checkInput, arginfo_class_Ecai_Guard_checkInput, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Guard, checkOutput, arginfo_class_Ecai_Guard_checkOutput, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Guard, confidence, arginfo_class_Ecai_Guard_confidence, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Guard, redact, arginfo_class_Ecai_Guard_redact, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Guard, restore, arginfo_class_Ecai_Guard_restore, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};
