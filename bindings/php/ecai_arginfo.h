/* Hand-maintained from ecai.stub.php (see the note there). */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Ecai_version, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Ecai_version_number, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_Ecai_status_str, 0, 1, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, status, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Ecai_Context___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, json, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Ecai_Context_fromFile, 0, 1, Ecai\\Context, 0)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Ecai_Context_config, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_class_Ecai_Context_get, 0, 1, MAY_BE_STRING|MAY_BE_LONG|MAY_BE_DOUBLE)
	ZEND_ARG_TYPE_INFO(0, path, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_FUNCTION(Ecai_version);
ZEND_FUNCTION(Ecai_version_number);
ZEND_FUNCTION(Ecai_status_str);
ZEND_METHOD(Ecai_Context, __construct);
ZEND_METHOD(Ecai_Context, fromFile);
ZEND_METHOD(Ecai_Context, config);
ZEND_METHOD(Ecai_Context, get);

static const zend_function_entry ecai_functions[] = {
	ZEND_NS_FALIAS("Ecai", version, Ecai_version, arginfo_Ecai_version)
	ZEND_NS_FALIAS("Ecai", version_number, Ecai_version_number, arginfo_Ecai_version_number)
	ZEND_NS_FALIAS("Ecai", status_str, Ecai_status_str, arginfo_Ecai_status_str)
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_EcaiException_methods[] = {
	ZEND_FE_END
};

static const zend_function_entry class_Ecai_Context_methods[] = {
	ZEND_ME(Ecai_Context, __construct, arginfo_class_Ecai_Context___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Context, fromFile, arginfo_class_Ecai_Context_fromFile, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(Ecai_Context, config, arginfo_class_Ecai_Context_config, ZEND_ACC_PUBLIC)
	ZEND_ME(Ecai_Context, get, arginfo_class_Ecai_Context_get, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};
