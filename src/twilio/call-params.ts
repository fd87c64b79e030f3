/**
 * Query parameters tolk puts on the webhook URLs it hands Twilio, so that a webhook finds its
 * call (the call core never sees them):
 *   voice URL of a dialled leg     ?leg=<endpoint>&call=<call id>
 *   status callback of that leg    ?call=<call id>&leg=<endpoint>
 *   the language menu's action     ?step=language&call=<call id>
 */
export const LEG_PARAM = 'leg';
export const CALL_ID_PARAM = 'call';
export const STEP_PARAM = 'step';
