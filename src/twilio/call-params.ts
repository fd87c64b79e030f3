/**
 * Query parameters tolk puts on the webhook URLs it hands Twilio, so that a webhook finds its
 * call (the call core never sees them):
 *   voice URL of a dialled leg     ?leg=<endpoint>&call=<call id>
 *   status callback of that leg    ?call=<call id>&leg=<endpoint>
 *   the language menu's action     ?step=language&call=<call id>
 *   a moved leg without its media  ?step=held&call=<call id>&leg=<endpoint>&try=<attempt>
 *                                  (after <Connect> of a leg tolk brought to an instance, and
 *                                  after each wait of a holding leg)
 */
export const LEG_PARAM = 'leg';
export const CALL_ID_PARAM = 'call';
export const STEP_PARAM = 'step';
export const ATTEMPT_PARAM = 'try';
export const HELD_STEP = 'held';
