/* settings.c - a pilot setting as typed (session.h): read as the scenario
 * editor reads numbers, bounded by the trainer's own table. */
#include <stdio.h>

#include "tunepilot/session.h"
#include "tunepilot/session_edit.h"

bool session_setting_parse(TrainSetting s, const char *text, double *out, char *msg,
                           size_t size) {
    const TrainSettingLimit *l = train_setting_limit(s);
    if (!l) {
        snprintf(msg, size, "unknown setting");
        return false;
    }
    SessionField f = {l->flag, l->integer ? SESSION_FIELD_INTEGER : SESSION_FIELD_NUMBER, false,
                      ""};
    cJSON *v = NULL;
    if (!session_value_parse(text, &f, &v, msg, size))
        return false;
    double x = v->valuedouble;
    cJSON_Delete(v);
    TpError err = {0};
    if (train_setting_check(s, x, &err) != TP_OK) {
        snprintf(msg, size, "%s", err.msg);
        return false;
    }
    *out = x;
    return true;
}
