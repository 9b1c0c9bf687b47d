<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="zh_CN">
<context>
    <name>Kiosk</name>
    <message>
        <source>A4打印机</source>
        <translation>A4 printer</translation>
    </message>
    <message>
        <source>A4打印机不存在</source>
        <translation>The A4 printer does not exist</translation>
    </message>
    <message>
        <source>A4打印机已暂停</source>
        <translation>The A4 printer is paused</translation>
    </message>
    <message>
        <source>A4打印机拒绝打印任务</source>
        <translation>The A4 printer refuses print jobs</translation>
    </message>
    <message>
        <source>A4打印机无法接收打印任务</source>
        <translation>The A4 printer cannot take the job</translation>
    </message>
    <message>
        <source>A4打印机暂时无法使用，已改用小票打印。</source>
        <translation>The A4 printer is not available; your report was printed on the slip printer.</translation>
    </message>
    <message>
        <source>A4打印机未配置</source>
        <translation>No A4 printer configured</translation>
    </message>
    <message>
        <source>{fee} 元</source>
        <translation>¥{fee}</translation>
    </message>
    <message>
        <source>{m}月{d}日</source>
        <translation>{m}/{d}</translation>
    </message>
    <message>
        <source>{n} 人</source>
        <translation>{n} people</translation>
    </message>
    <message>
        <source>{n} 份报告已出，可以打印</source>
        <translation>{n} report(s) ready to print</translation>
    </message>
    <message>
        <source>{n} 秒</source>
        <translation>{n} s</translation>
    </message>
    <message>
        <source>{n} 秒后将返回首页，如需继续请触摸屏幕</source>
        <translation>Returning to the home screen in {n} s. Touch the screen to continue.</translation>
    </message>
    <message>
        <source>{n}个月</source>
        <translation>{n} months</translation>
    </message>
    <message>
        <source>{n}天</source>
        <translation>{n} days</translation>
    </message>
    <message>
        <source>{n}岁</source>
        <translation>{n} yrs</translation>
    </message>
    <message>
        <source>{when} 开放预约</source>
        <translation>Opens {when}</translation>
    </message>
    <message>
        <source>上一页</source>
        <translation>Previous page</translation>
    </message>
    <message>
        <source>上午</source>
        <translation>Morning</translation>
    </message>
    <message>
        <source>下一步</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>下一页</source>
        <translation>Next page</translation>
    </message>
    <message>
        <source>下午</source>
        <translation>Afternoon</translation>
    </message>
    <message>
        <source>不用了，谢谢</source>
        <translation>No, thank you</translation>
    </message>
    <message>
        <source>不确定挂哪个科？可以点击“呼叫工作人员”</source>
        <translation>Not sure which department? Tap "Call staff".</translation>
    </message>
    <message>
        <source>不退了</source>
        <translation>Keep my number</translation>
    </message>
    <message>
        <source>专家号</source>
        <translation>Specialist</translation>
    </message>
    <message>
        <source>个人账户</source>
        <translation>Personal account</translation>
    </message>
    <message>
        <source>为TA办理</source>
        <translation>Act for them</translation>
    </message>
    <message>
        <source>为保护您的隐私，请确认身份后再办理</source>
        <translation>To protect your privacy, please confirm who you are first</translation>
    </message>
    <message>
        <source>为孩子建档</source>
        <translation>New record for a child</translation>
    </message>
    <message>
        <source>为孩子建档、挂号、缴费、打印报告</source>
        <translation>A child's record, registration, bills and reports</translation>
    </message>
    <message>
        <source>为家人办理</source>
        <translation>For a family member</translation>
    </message>
    <message>
        <source>为家人挂号</source>
        <translation>For family</translation>
    </message>
    <message>
        <source>为避免您缴费后拿不到凭条，本机暂停挂号缴费。请到人工窗口或其他自助机办理。</source>
        <translation>So that you are never left without a slip after paying, this kiosk is not taking payments now. Please go to the service desk or another kiosk.</translation>
    </message>
    <message>
        <source>主任医师</source>
        <translation>Chief Physician</translation>
    </message>
    <message>
        <source>主治医师</source>
        <translation>Attending Physician</translation>
    </message>
    <message>
        <source>也可以刷社保卡：请将社保卡插入读卡口。</source>
        <translation>Or use your social security card: insert it into the card slot.</translation>
    </message>
    <message>
        <source>今天</source>
        <translation>Today</translation>
    </message>
    <message>
        <source>今天的就诊排队情况</source>
        <translation>Your place in today's queues</translation>
    </message>
    <message>
        <source>今日挂号</source>
        <translation>Register for today</translation>
    </message>
    <message>
        <source>付款码支付</source>
        <translation>Payment code</translation>
    </message>
    <message>
        <source>付款码支付没有成功，本次没有扣费。请刷新付款码再试，或扫描屏幕上的二维码。</source>
        <translation>The payment code did not go through and nothing was charged. Refresh the code and try again, or scan the QR code on screen.</translation>
    </message>
    <message>
        <source>以下是您今天的预约</source>
        <translation>Your appointments today</translation>
    </message>
    <message>
        <source>住院医师</source>
        <translation>Resident Physician</translation>
    </message>
    <message>
        <source>例如 20240315</source>
        <translation>e.g. 20240315</translation>
    </message>
    <message>
        <source>全部打印</source>
        <translation>Print all</translation>
    </message>
    <message>
        <source>其他亲属</source>
        <translation>Other relative</translation>
    </message>
    <message>
        <source>再挂一个今天的号</source>
        <translation>Register for another clinic today</translation>
    </message>
    <message>
        <source>准备：{what}</source>
        <translation>Prepare: {what}</translation>
    </message>
    <message>
        <source>凭条没有打印出来，您的缴费已成功，无需重复缴费。如需凭条请到人工窗口补打，补打码 {code}。</source>
        <translation>The receipt did not print, but your payment went through; do not pay again. For a receipt, please go to the service desk with reprint code {code}.</translation>
    </message>
    <message>
        <source>凭条没有打印出来，预约已成功，不影响就诊。</source>
        <translation>The receipt did not print; you are booked all the same.</translation>
    </message>
    <message>
        <source>出生日期</source>
        <translation>Date of birth</translation>
    </message>
    <message>
        <source>出生日期不正确，请按“年月日”8位数字输入，例如 20240315。</source>
        <translation>That date of birth is not valid. Please type 8 digits, year month day, e.g. 20240315.</translation>
    </message>
    <message>
        <source>前面还有</source>
        <translation>Ahead of you</translation>
    </message>
    <message>
        <source>前面还有 {n} 人</source>
        <translation>{n} ahead of you</translation>
    </message>
    <message>
        <source>剩余 {n} 个</source>
        <translation>{n} left</translation>
    </message>
    <message>
        <source>副主任医师</source>
        <translation>Associate Chief Physician</translation>
    </message>
    <message>
        <source>医保已全部支付，您无需再付款。</source>
        <translation>The insurance pays it all; you pay nothing more.</translation>
    </message>
    <message>
        <source>医保已支付 {paid} 元，请支付自付部分</source>
        <translation>The insurance paid {paid} yuan; please pay your own part</translation>
    </message>
    <message>
        <source>医保支付</source>
        <translation>Pay with medical insurance</translation>
    </message>
    <message>
        <source>医保结算</source>
        <translation>Medical insurance settlement</translation>
    </message>
    <message>
        <source>医保结算成功：统筹支付 {fund} 元，个人账户 {acct} 元，自付 {own} 元，谢谢。</source>
        <translation>Insurance settled: fund {fund} yuan, personal account {acct} yuan, your own part {own} yuan. Thank you.</translation>
    </message>
    <message>
        <source>医保结算没有成功，本次没有扣费。</source>
        <translation>The insurance settlement did not succeed; nothing was charged.</translation>
    </message>
    <message>
        <source>医保统筹支付 {fund} 元，个人账户支付 {acct} 元，您需自付 {own} 元。</source>
        <translation>The insurance fund pays {fund} yuan, your personal account {acct} yuan; you pay {own} yuan.</translation>
    </message>
    <message>
        <source>医师</source>
        <translation>Physician</translation>
    </message>
    <message>
        <source>医生</source>
        <translation>Doctor</translation>
    </message>
    <message>
        <source>医疗费总额</source>
        <translation>Total medical costs</translation>
    </message>
    <message>
        <source>去办理</source>
        <translation>Go</translation>
    </message>
    <message>
        <source>去打印</source>
        <translation>Print</translation>
    </message>
    <message>
        <source>去挂号</source>
        <translation>Register now</translation>
    </message>
    <message>
        <source>去支付</source>
        <translation>Pay</translation>
    </message>
    <message>
        <source>去缴费</source>
        <translation>Pay</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>取消呼叫</source>
        <translation>Cancel the call</translation>
    </message>
    <message>
        <source>取消支付</source>
        <translation>Cancel payment</translation>
    </message>
    <message>
        <source>叫号服务</source>
        <translation>Queue service</translation>
    </message>
    <message>
        <source>号码在户口本上；新生儿还没有号码，请点击“没有身份证号码”</source>
        <translation>It is in the household register; a newborn has none yet: tap "No ID number"</translation>
    </message>
    <message>
        <source>合计：{fee} 元</source>
        <translation>Total: ¥{fee}</translation>
    </message>
    <message>
        <source>呼叫工作人员</source>
        <translation>Call staff</translation>
    </message>
    <message>
        <source>呼叫系统暂时无法连接，请到服务台咨询，谢谢。</source>
        <translation>The call system cannot be reached. Please ask at the information desk. Thank you.</translation>
    </message>
    <message>
        <source>哪里不舒服？</source>
        <translation>Where does it hurt?</translation>
    </message>
    <message>
        <source>地点：{place}</source>
        <translation>Where: {place}</translation>
    </message>
    <message>
        <source>城乡居民基本医疗保险</source>
        <translation>Urban and rural resident medical insurance</translation>
    </message>
    <message>
        <source>女</source>
        <translation>Female</translation>
    </message>
    <message>
        <source>如还需要帮助，请再次点击“呼叫工作人员”。</source>
        <translation>If you need help again, tap "Call staff" once more.</translation>
    </message>
    <message>
        <source>如需帮助，请点击“呼叫工作人员”，我们会尽快来到您身边。</source>
        <translation>Need help? Tap "Call staff" and we will come to you.</translation>
    </message>
    <message>
        <source>如需看病，请点击“挂号”。</source>
        <translation>To see a doctor, please tap "Register".</translation>
    </message>
    <message>
        <source>姓名</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>子女</source>
        <translation>Child</translation>
    </message>
    <message>
        <source>字大清楚</source>
        <translation>Large, clear text</translation>
    </message>
    <message>
        <source>孙子女</source>
        <translation>Grandchild</translation>
    </message>
    <message>
        <source>孩子的姓名</source>
        <translation>Child's name</translation>
    </message>
    <message>
        <source>孩子的身份证号码</source>
        <translation>Child's ID number</translation>
    </message>
    <message>
        <source>孩子第一次来看病，请先为孩子建档</source>
        <translation>A child here for the first time needs a record first</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Done</translation>
    </message>
    <message>
        <source>家人</source>
        <translation>Family</translation>
    </message>
    <message>
        <source>密码不正确，请重新输入。</source>
        <translation>Wrong PIN. Please try again.</translation>
    </message>
    <message>
        <source>对不起</source>
        <translation>Sorry</translation>
    </message>
    <message>
        <source>对不起让您久等了</source>
        <translation>Sorry to keep you waiting</translation>
    </message>
    <message>
        <source>对不起，今天的时间段都已约满，请选择其他医生或科室。</source>
        <translation>Sorry, every time today is fully booked. Please choose another doctor or department.</translation>
    </message>
    <message>
        <source>对不起，凭条没有打印出来，但您的挂号已成功，费用已支付，无需重复缴费。请凭补打码 {code} 到人工窗口补打凭条。</source>
        <translation>Sorry, the slip did not print. Your registration is done and paid; do not pay again. Please take reprint code {code} to the service desk for a new slip.</translation>
    </message>
    <message>
        <source>对不起，医保结算没有成功</source>
        <translation>Sorry, the insurance settlement did not succeed</translation>
    </message>
    <message>
        <source>对不起，您选的时间段刚刚被约满了，请选择下面仍有号源的时间段。</source>
        <translation>Sorry, the time you chose has just been taken. Please choose one of the free times below.</translation>
    </message>
    <message>
        <source>对不起，打印机暂时无法使用</source>
        <translation>Sorry, the printer is not available</translation>
    </message>
    <message>
        <source>对不起，操作没有成功，请稍候再试，或点击“呼叫工作人员”。</source>
        <translation>Sorry, that did not work. Please try again shortly, or tap "Call staff".</translation>
    </message>
    <message>
        <source>对不起，支付已超时</source>
        <translation>Sorry, the payment timed out</translation>
    </message>
    <message>
        <source>对不起，支付没有成功</source>
        <translation>Sorry, the payment did not go through</translation>
    </message>
    <message>
        <source>对不起，暂时无法通知工作人员</source>
        <translation>Sorry, we cannot call staff right now</translation>
    </message>
    <message>
        <source>对不起，本机暂停服务</source>
        <translation>Sorry, this kiosk is suspended</translation>
    </message>
    <message>
        <source>对不起，自助机暂停服务</source>
        <translation>Sorry, this kiosk is out of service</translation>
    </message>
    <message>
        <source>对不起，该科室今天的号已经挂完了，请选择其他科室。</source>
        <translation>Sorry, this department is fully booked today. Please choose another department.</translation>
    </message>
    <message>
        <source>对不起，读卡器暂时无法使用。请输入身份证号码，或扫描就诊卡二维码。</source>
        <translation>Sorry, the card reader is not working. Please type your ID number or scan your medical card QR code.</translation>
    </message>
    <message>
        <source>导诊单已打印</source>
        <translation>Guide slip printed</translation>
    </message>
    <message>
        <source>导诊单没有打印出来：可在“我的排队”查看就诊流程，或扫码在手机上查看。</source>
        <translation>The guide slip did not print: see your steps under “My queue”, or scan the code to follow them on your phone.</translation>
    </message>
    <message>
        <source>就诊人</source>
        <translation>Patient</translation>
    </message>
    <message>
        <source>就诊前</source>
        <translation>shortly before your time</translation>
    </message>
    <message>
        <source>就诊地点</source>
        <translation>Where to go</translation>
    </message>
    <message>
        <source>就诊时段</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>工作人员正在核查本机。请到其他自助机或人工窗口办理，谢谢。</source>
        <translation>Staff are reviewing this kiosk. Please use another kiosk or the service desk. Thank you.</translation>
    </message>
    <message>
        <source>工作人员登录</source>
        <translation>Staff sign-in</translation>
    </message>
    <message>
        <source>已为您取消呼叫</source>
        <translation>Your call for staff is cancelled</translation>
    </message>
    <message>
        <source>已为您在A4打印机上打印 {n} 份报告，请在A4打印机出纸口取走。祝您健康！</source>
        <translation>{n} report(s) printed on the A4 printer. Please collect them from the A4 printer. Stay well!</translation>
    </message>
    <message>
        <source>已为您打印 {n} 份报告，请取走。祝您健康！</source>
        <translation>{n} report(s) printed. Please take them. Stay well!</translation>
    </message>
    <message>
        <source>已为您补打电子票据，请取走。</source>
        <translation>Your e-invoice has been printed again; please take it.</translation>
    </message>
    <message>
        <source>已为您补打，请取走。</source>
        <translation>Printed again; please take it.</translation>
    </message>
    <message>
        <source>已取消</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>已取消支付</source>
        <translation>Payment cancelled</translation>
    </message>
    <message>
        <source>已就诊</source>
        <translation>Seen</translation>
    </message>
    <message>
        <source>已开通短信提醒</source>
        <translation>Reminders on</translation>
    </message>
    <message>
        <source>已开通短信提醒，就诊前会发短信到 {phone}。</source>
        <translation>Text reminders are on: we will text {phone} before your visit.</translation>
    </message>
    <message>
        <source>已开通短信提醒，快到您时会发短信到 {phone}。</source>
        <translation>Text reminders are on: we will text {phone} when your turn is near.</translation>
    </message>
    <message>
        <source>已打印 {n} 次</source>
        <translation>Printed {n} time(s)</translation>
    </message>
    <message>
        <source>已支付 {fee} 元，谢谢。</source>
        <translation>¥{fee} paid. Thank you.</translation>
    </message>
    <message>
        <source>已签到</source>
        <translation>Checked in</translation>
    </message>
    <message>
        <source>已约满</source>
        <translation>Fully booked</translation>
    </message>
    <message>
        <source>已过号，请到分诊台咨询</source>
        <translation>Missed; please ask at the triage desk</translation>
    </message>
    <message>
        <source>已退号</source>
        <translation>Number cancelled</translation>
    </message>
    <message>
        <source>已通知工作人员</source>
        <translation>Staff have been called</translation>
    </message>
    <message>
        <source>已通知工作人员，请稍候，工作人员马上就到。</source>
        <translation>Staff have been called. Please wait; someone is on the way.</translation>
    </message>
    <message>
        <source>已预约请签到</source>
        <translation>Have an appointment</translation>
    </message>
    <message>
        <source>建档</source>
        <translation>New patient</translation>
    </message>
    <message>
        <source>建立孩子的档案</source>
        <translation>Create the child's record</translation>
    </message>
    <message>
        <source>建议您挂这个科</source>
        <translation>We suggest this department</translation>
    </message>
    <message>
        <source>待缴费用</source>
        <translation>Bills to pay</translation>
    </message>
    <message>
        <source>待缴费用 {n} 笔，共 {fee} 元</source>
        <translation>{n} bill(s) to pay, {fee} yuan in all</translation>
    </message>
    <message>
        <source>性别</source>
        <translation>Sex</translation>
    </message>
    <message>
        <source>您今天有一个预约，请点击下方“立即签到”。</source>
        <translation>You have one appointment today. Please tap "Check in now" below.</translation>
    </message>
    <message>
        <source>您今天没有预约。如需看病，请返回首页选择“挂号”。</source>
        <translation>You have no appointment today. To see a doctor, go back and choose "Register".</translation>
    </message>
    <message>
        <source>您今天还没有挂号。</source>
        <translation>You have not registered today.</translation>
    </message>
    <message>
        <source>您好，{name}</source>
        <translation>Hello, {name}</translation>
    </message>
    <message>
        <source>您好，欢迎使用自助服务</source>
        <translation>Hello, welcome to self-service</translation>
    </message>
    <message>
        <source>您好，现在可以挂号、缴费和打印报告了。</source>
        <translation>Hello, you can now register, pay and print reports.</translation>
    </message>
    <message>
        <source>您好，请先建立就诊档案</source>
        <translation>Hello, please create your patient record first</translation>
    </message>
    <message>
        <source>您好，需要把字放大一些吗？</source>
        <translation>Hello, would you like larger text?</translation>
    </message>
    <message>
        <source>您已迟到（预约时段 {slot} 已过），已按本院迟到规则为您重新排队。迟到：{ahead}，请在候诊区留意叫号。</source>
        <translation>You are late (your time {slot} has passed) and have been placed by the hospital's rule for late arrivals. Late: {ahead}. Please wait in the waiting area and listen for your number.</translation>
    </message>
    <message>
        <source>您已预约 {when} {department}。请于就诊当天到自助机签到，领取排队号。</source>
        <translation>You are booked for {when}, {department}. On that day, check in at a kiosk to get your queue number.</translation>
    </message>
    <message>
        <source>您是孩子的：</source>
        <translation>You are the child's:</translation>
    </message>
    <message>
        <source>您的就诊档案已建好</source>
        <translation>Your patient record is ready</translation>
    </message>
    <message>
        <source>您的意见能帮助我们做得更好，也可以直接跳过</source>
        <translation>Your opinion helps us do better. You may also skip this.</translation>
    </message>
    <message>
        <source>您的排队号</source>
        <translation>Your queue number</translation>
    </message>
    <message>
        <source>您的排队号是 {ticket}，请到 {place} 候诊。</source>
        <translation>Your number is {ticket}. Please wait at {place}.</translation>
    </message>
    <message>
        <source>您的支付已成功，挂号结果正在确认中，请勿重复缴费。请到人工窗口出示手机上的支付记录，工作人员会为您处理。</source>
        <translation>Your payment went through and your registration is being confirmed; do not pay again. Please show the payment record on your phone at the service desk and we will sort it out.</translation>
    </message>
    <message>
        <source>您目前没有可打印的报告。</source>
        <translation>You have no reports to print.</translation>
    </message>
    <message>
        <source>您目前没有待缴费用。</source>
        <translation>You have nothing to pay.</translation>
    </message>
    <message>
        <source>您说的情况可能是急症，工作人员马上过来帮您，请稍候</source>
        <translation>This may be an emergency: a member of staff is coming to help you, please wait</translation>
    </message>
    <message>
        <source>您还有待缴费用 {fee} 元，可在首页点击“缴费”。</source>
        <translation>You have ¥{fee} to pay; tap "Pay" on the home screen.</translation>
    </message>
    <message>
        <source>我的排队</source>
        <translation>My queue</translation>
    </message>
    <message>
        <source>我自己选科室</source>
        <translation>I will choose the department</translation>
    </message>
    <message>
        <source>手动输入身份证号码</source>
        <translation>Type the ID number</translation>
    </message>
    <message>
        <source>手机号码</source>
        <translation>Mobile number</translation>
    </message>
    <message>
        <source>手机号码后4位不正确，请重新输入，或将身份证放在读卡区。</source>
        <translation>Those are not the last 4 digits on record. Please try again, or place your ID card on the reader.</translation>
    </message>
    <message>
        <source>手机扫码
随时看排队</source>
        <translation>Scan to follow
your queue</translation>
    </message>
    <message>
        <source>打印完成</source>
        <translation>Printed</translation>
    </message>
    <message>
        <source>打印导诊单</source>
        <translation>Print my guide slip</translation>
    </message>
    <message>
        <source>打印服务无响应</source>
        <translation>The print service does not answer</translation>
    </message>
    <message>
        <source>打印服务无法连接</source>
        <translation>The print service cannot be reached</translation>
    </message>
    <message>
        <source>打印机</source>
        <translation>Printer</translation>
    </message>
    <message>
        <source>打印机故障</source>
        <translation>The printer has a fault.</translation>
    </message>
    <message>
        <source>打印机无响应</source>
        <translation>The printer does not answer.</translation>
    </message>
    <message>
        <source>打印机暂时无法使用，本次不打印凭条。</source>
        <translation>The printer is not available; no receipt will be printed this time.</translation>
    </message>
    <message>
        <source>打印机未连接</source>
        <translation>No printer is connected.</translation>
    </message>
    <message>
        <source>打印机盖未关好</source>
        <translation>The printer cover is open.</translation>
    </message>
    <message>
        <source>打印机离线</source>
        <translation>The printer is offline.</translation>
    </message>
    <message>
        <source>打印纸已用完</source>
        <translation>The printer is out of paper.</translation>
    </message>
    <message>
        <source>打开“国家医保服务平台”APP或微信、支付宝中的医保电子凭证，出示二维码。</source>
        <translation>Open the medical insurance QR code in the National Medical Insurance app, WeChat or Alipay.</translation>
    </message>
    <message>
        <source>扫码器</source>
        <translation>Scanner</translation>
    </message>
    <message>
        <source>扫码支付</source>
        <translation>QR code payment</translation>
    </message>
    <message>
        <source>报告已出，可以打印</source>
        <translation>Ready to print</translation>
    </message>
    <message>
        <source>报告打印</source>
        <translation>Print reports</translation>
    </message>
    <message>
        <source>报告还没出来，预计 {when} 可以打印。</source>
        <translation>not ready yet; expected {when}.</translation>
    </message>
    <message>
        <source>挂{name}</source>
        <translation>Register for {name}</translation>
    </message>
    <message>
        <source>挂号</source>
        <translation>Register</translation>
    </message>
    <message>
        <source>挂号凭条</source>
        <translation>Registration receipt</translation>
    </message>
    <message>
        <source>挂号凭条已打印，请取走。</source>
        <translation>Your registration receipt is printed; please take it.</translation>
    </message>
    <message>
        <source>挂号成功</source>
        <translation>You are registered</translation>
    </message>
    <message>
        <source>挂号费</source>
        <translation>Registration fee</translation>
    </message>
    <message>
        <source>挂号费 {fee} 元</source>
        <translation>Fee ¥{fee}</translation>
    </message>
    <message>
        <source>挂号费将原路退回您的付款账户，一般1至7个工作日到账，无需再办理。</source>
        <translation>The fee goes back to the account you paid from, usually within 1 to 7 working days. Nothing more to do.</translation>
    </message>
    <message>
        <source>指引明白</source>
        <translation>Clear directions</translation>
    </message>
    <message>
        <source>按年月日输入8位数字，例如 20240315，并选择性别</source>
        <translation>Type 8 digits, year month day (e.g. 20240315), and choose the sex</translation>
    </message>
    <message>
        <source>换个时间</source>
        <translation>Another time</translation>
    </message>
    <message>
        <source>排队与费用</source>
        <translation>Queue and fees</translation>
    </message>
    <message>
        <source>排队凭条</source>
        <translation>Queue ticket</translation>
    </message>
    <message>
        <source>提交评价</source>
        <translation>Send rating</translation>
    </message>
    <message>
        <source>擅长：</source>
        <translation>Specialty: </translation>
    </message>
    <message>
        <source>操作复杂</source>
        <translation>Hard to use</translation>
    </message>
    <message>
        <source>操作简单</source>
        <translation>Easy to use</translation>
    </message>
    <message>
        <source>支付</source>
        <translation>Payment</translation>
    </message>
    <message>
        <source>支付没有完成，本次没有扣费。如手机显示已扣款，请到人工窗口处理，我们会为您核实。</source>
        <translation>The payment was not completed and nothing was charged. If your phone shows a charge, please go to the service desk and we will check it for you.</translation>
    </message>
    <message>
        <source>改用自费支付</source>
        <translation>Pay myself instead</translation>
    </message>
    <message>
        <source>放身份证或扫就诊卡，查看您今天要办的事</source>
        <translation>Place your ID card or scan your medical card to see your day</translation>
    </message>
    <message>
        <source>新生儿还没有起名的，可以输入“{s}宝宝”</source>
        <translation>A newborn without a name yet may be entered as "{s}宝宝"</translation>
    </message>
    <message>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>星期一</source>
        <translation>Monday</translation>
    </message>
    <message>
        <source>星期三</source>
        <translation>Wednesday</translation>
    </message>
    <message>
        <source>星期二</source>
        <translation>Tuesday</translation>
    </message>
    <message>
        <source>星期五</source>
        <translation>Friday</translation>
    </message>
    <message>
        <source>星期六</source>
        <translation>Saturday</translation>
    </message>
    <message>
        <source>星期四</source>
        <translation>Thursday</translation>
    </message>
    <message>
        <source>星期日</source>
        <translation>Sunday</translation>
    </message>
    <message>
        <source>普通号</source>
        <translation>General</translation>
    </message>
    <message>
        <source>智能导诊</source>
        <translation>Which department?</translation>
    </message>
    <message>
        <source>暂时无法确认医保结算是否可用，请选择自费支付，或到人工窗口办理。</source>
        <translation>We cannot check medical insurance right now; please pay yourself or go to the counter.</translation>
    </message>
    <message>
        <source>未开放</source>
        <translation>Not open yet</translation>
    </message>
    <message>
        <source>未打印</source>
        <translation>Not printed yet</translation>
    </message>
    <message>
        <source>未知</source>
        <translation>Unknown</translation>
    </message>
    <message>
        <source>未说明</source>
        <translation>Not stated</translation>
    </message>
    <message>
        <source>本机会自动重试，恢复后即可使用。</source>
        <translation>The kiosk keeps trying and will be ready again by itself.</translation>
    </message>
    <message>
        <source>本机各设备的当前状态</source>
        <translation>The state of each device of this kiosk</translation>
    </message>
    <message>
        <source>本机暂未开通医保结算，请选择自费支付。</source>
        <translation>This kiosk cannot settle medical insurance; please pay yourself.</translation>
    </message>
    <message>
        <source>本次应缴 {fee} 元</source>
        <translation>{fee} yuan to pay</translation>
    </message>
    <message>
        <source>本次没有扣费，挂号没有办理。您可以重新支付，或返回首页。</source>
        <translation>Nothing was charged and you are not registered. You can pay again or go back to the home screen.</translation>
    </message>
    <message>
        <source>本次没有扣费，挂号没有办理。请换一种支付方式重新支付。</source>
        <translation>Nothing was charged and you are not registered. Please try again with another way to pay.</translation>
    </message>
    <message>
        <source>查询</source>
        <translation>My queue</translation>
    </message>
    <message>
        <source>核查完成后本机会自动恢复。</source>
        <translation>The kiosk will be ready again by itself once staff have reviewed it.</translation>
    </message>
    <message>
        <source>检查检验报告</source>
        <translation>Test and exam reports</translation>
    </message>
    <message>
        <source>检验报告单</source>
        <translation>Lab report</translation>
    </message>
    <message>
        <source>正在为家人办理：{name}</source>
        <translation>Acting for family: {name}</translation>
    </message>
    <message>
        <source>正在叫您，请马上到诊室</source>
        <translation>You are being called; please go to the room now</translation>
    </message>
    <message>
        <source>正常</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>没有可以补打的凭条或报告。</source>
        <translation>There is no slip or report to print again.</translation>
    </message>
    <message>
        <source>没有找到您的就诊档案。请将身份证放在读卡区建档，或到人工窗口办理。</source>
        <translation>We could not find your patient record. Please place your ID card on the reader to create one, or go to the service desk.</translation>
    </message>
    <message>
        <source>没有身份证号码</source>
        <translation>No ID number</translation>
    </message>
    <message>
        <source>清空</source>
        <translation>Clear</translation>
    </message>
    <message>
        <source>点击签到</source>
        <translation>Tap to check in</translation>
    </message>
    <message>
        <source>父母</source>
        <translation>Parent</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>由本科室医生为您诊治</source>
        <translation>Seen by a doctor of this department</translation>
    </message>
    <message>
        <source>电子票据</source>
        <translation>E-invoice</translation>
    </message>
    <message>
        <source>男</source>
        <translation>Male</translation>
    </message>
    <message>
        <source>短信提醒我</source>
        <translation>Text me</translation>
    </message>
    <message>
        <source>确定</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>确认后，请扫码支付自付部分 {fee} 元。</source>
        <translation>After confirming, scan to pay your own part of {fee} yuan.</translation>
    </message>
    <message>
        <source>确认并支付</source>
        <translation>Confirm and pay</translation>
    </message>
    <message>
        <source>确认建档</source>
        <translation>Create my record</translation>
    </message>
    <message>
        <source>确认无误后请点击“确认并支付”</source>
        <translation>If everything is right, tap "Confirm and pay".</translation>
    </message>
    <message>
        <source>确认结算</source>
        <translation>Confirm settlement</translation>
    </message>
    <message>
        <source>确认退号</source>
        <translation>Cancel this number</translation>
    </message>
    <message>
        <source>祖父母</source>
        <translation>Grandparent</translation>
    </message>
    <message>
        <source>祝您健康！</source>
        <translation>Stay well!</translation>
    </message>
    <message>
        <source>离线</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>科室</source>
        <translation>Department</translation>
    </message>
    <message>
        <source>稍后</source>
        <translation>later</translation>
    </message>
    <message>
        <source>立即签到</source>
        <translation>Check in now</translation>
    </message>
    <message>
        <source>第 {page} / {pages} 页</source>
        <translation>Page {page} of {pages}</translation>
    </message>
    <message>
        <source>等候太久</source>
        <translation>Waited too long</translation>
    </message>
    <message>
        <source>签到成功</source>
        <translation>You are checked in</translation>
    </message>
    <message>
        <source>签到成功（迟到）</source>
        <translation>Checked in (late)</translation>
    </message>
    <message>
        <source>系统正在恢复，请稍候。您也可以到人工窗口办理，或点击“呼叫工作人员”。</source>
        <translation>The system is recovering; please wait. You can also go to the service desk, or tap "Call staff".</translation>
    </message>
    <message>
        <source>约 {low}-{high} 分钟</source>
        <translation>about {low}-{high} min</translation>
    </message>
    <message>
        <source>约 {m} 分钟</source>
        <translation>About {m} min</translation>
    </message>
    <message>
        <source>统筹支付</source>
        <translation>Insurance fund</translation>
    </message>
    <message>
        <source>缴费</source>
        <translation>Pay</translation>
    </message>
    <message>
        <source>缴费 {fee} 元</source>
        <translation>Pay ¥{fee}</translation>
    </message>
    <message>
        <source>缴费成功</source>
        <translation>Payment complete</translation>
    </message>
    <message>
        <source>老人有身份证的，请将老人的身份证放在读卡区，即可为老人办理。</source>
        <translation>For an elderly family member with an ID card, place their card on the reader.</translation>
    </message>
    <message>
        <source>职工基本医疗保险</source>
        <translation>Employee basic medical insurance</translation>
    </message>
    <message>
        <source>能用医保吗？</source>
        <translation>Can I use medical insurance?</translation>
    </message>
    <message>
        <source>自付</source>
        <translation>Your own part</translation>
    </message>
    <message>
        <source>自费支付</source>
        <translation>Pay myself</translation>
    </message>
    <message>
        <source>补打</source>
        <translation>Reprint</translation>
    </message>
    <message>
        <source>补打完成</source>
        <translation>Reprinted</translation>
    </message>
    <message>
        <source>设备状态</source>
        <translation>Device status</translation>
    </message>
    <message>
        <source>证件号码</source>
        <translation>ID number</translation>
    </message>
    <message>
        <source>识别身份</source>
        <translation>Identify me</translation>
    </message>
    <message>
        <source>请一并取走导诊单，按上面的顺序前往各处，留意叫号。</source>
        <translation>Please also take the guide slip: go to each place in its order and listen for your number.</translation>
    </message>
    <message>
        <source>请为本次服务评价</source>
        <translation>Please rate this service</translation>
    </message>
    <message>
        <source>请出示医保凭证</source>
        <translation>Show your medical insurance</translation>
    </message>
    <message>
        <source>请出示您的身份证件</source>
        <translation>Please show your ID</translation>
    </message>
    <message>
        <source>请到</source>
        <translation>Please go to</translation>
    </message>
    <message>
        <source>请到人工窗口或其他自助机打印报告。</source>
        <translation>Please print your reports at the service desk or another kiosk.</translation>
    </message>
    <message>
        <source>请到人工窗口或其他自助机补打。</source>
        <translation>Please ask at the desk or use another kiosk to reprint.</translation>
    </message>
    <message>
        <source>请勾选要缴的费用，然后点击“去支付”</source>
        <translation>Tick the bills to pay, then tap "Pay".</translation>
    </message>
    <message>
        <source>请取走导诊单，按上面的顺序前往各处，留意叫号。</source>
        <translation>Please take the guide slip: go to each place in its order and listen for your number.</translation>
    </message>
    <message>
        <source>请取走打印的排队凭条，留意叫号。祝您健康！</source>
        <translation>Please take your printed slip and listen for your number. Stay well!</translation>
    </message>
    <message>
        <source>请取走缴费凭条。祝您健康！</source>
        <translation>Please take your receipt. Stay well!</translation>
    </message>
    <message>
        <source>请在 {m}:{s:02d} 内完成支付</source>
        <translation>Please pay within {m}:{s:02d}</translation>
    </message>
    <message>
        <source>请在 {when} 以后再来签到，谢谢。</source>
        <translation>Please come back to check in after {when}. Thank you.</translation>
    </message>
    <message>
        <source>请将手机上的医保电子凭证二维码对准扫码口，或将身份证放在读卡区</source>
        <translation>Hold the medical insurance QR code on your phone to the scanner, or place your ID card on the reader</translation>
    </message>
    <message>
        <source>请将身份证放在下方读卡区，或扫描就诊卡二维码</source>
        <translation>Place your ID card on the reader below, or scan your medical card QR code</translation>
    </message>
    <message>
        <source>请扫描屏幕上的二维码，在手机上查看就诊流程。</source>
        <translation>Please scan the code on the screen to follow your steps on your phone.</translation>
    </message>
    <message>
        <source>请支付 {amount} 元</source>
        <translation>Please pay ¥{amount}</translation>
    </message>
    <message>
        <source>请核对您的信息，并输入手机号码</source>
        <translation>Please check your details and type your mobile number</translation>
    </message>
    <message>
        <source>请核对金额，确认后进行医保结算</source>
        <translation>Please check the amounts, then confirm the settlement</translation>
    </message>
    <message>
        <source>请点一下身体不舒服的地方，再点您的感觉</source>
        <translation>Tap where it hurts, then what you feel</translation>
    </message>
    <message>
        <source>请点击您要办理的业务</source>
        <translation>Please tap what you would like to do</translation>
    </message>
    <message>
        <source>请用微信或支付宝扫描下方二维码，或将付款码对准扫码口</source>
        <translation>Scan the QR code below with WeChat or Alipay, or hold your payment code to the scanner</translation>
    </message>
    <message>
        <source>请确认挂号信息</source>
        <translation>Please check your registration</translation>
    </message>
    <message>
        <source>请稍候…</source>
        <translation>Please wait…</translation>
    </message>
    <message>
        <source>请稍候，工作人员马上就到。</source>
        <translation>Please wait; someone is on the way.</translation>
    </message>
    <message>
        <source>请输入11位手机号码，以1开头。</source>
        <translation>Please type an 11-digit mobile number starting with 1.</translation>
    </message>
    <message>
        <source>请输入4位数字。</source>
        <translation>Please type 4 digits.</translation>
    </message>
    <message>
        <source>请输入孩子的出生日期</source>
        <translation>Please type the child's date of birth</translation>
    </message>
    <message>
        <source>请输入孩子的姓名</source>
        <translation>Please type the child's name</translation>
    </message>
    <message>
        <source>请输入孩子的姓名。</source>
        <translation>Please type the child's name.</translation>
    </message>
    <message>
        <source>请输入孩子的身份证号码</source>
        <translation>Please type the child's ID number</translation>
    </message>
    <message>
        <source>请输入您登记的手机号码后4位</source>
        <translation>Please type the last 4 digits of your phone number on record</translation>
    </message>
    <message>
        <source>请输入管理密码</source>
        <translation>Please type the staff PIN</translation>
    </message>
    <message>
        <source>请输入身份证号码</source>
        <translation>Please type your ID number</translation>
    </message>
    <message>
        <source>请输入身份证号码。</source>
        <translation>Please type the ID number.</translation>
    </message>
    <message>
        <source>请选择一个还有剩余号源的时间段</source>
        <translation>Please choose a time that still has places</translation>
    </message>
    <message>
        <source>请选择医生</source>
        <translation>Choose a doctor</translation>
    </message>
    <message>
        <source>请选择号别和医生</source>
        <translation>Please choose the kind of visit and doctor</translation>
    </message>
    <message>
        <source>请选择孩子的性别。</source>
        <translation>Please choose the child's sex.</translation>
    </message>
    <message>
        <source>请选择就诊日期</source>
        <translation>Please choose the day</translation>
    </message>
    <message>
        <source>请选择就诊时间段</source>
        <translation>Please choose a time</translation>
    </message>
    <message>
        <source>请选择支付方式</source>
        <translation>How would you like to pay?</translation>
    </message>
    <message>
        <source>请选择科室</source>
        <translation>Please choose a department</translation>
    </message>
    <message>
        <source>请选择要为哪位家人办理</source>
        <translation>Please choose the family member</translation>
    </message>
    <message>
        <source>请选择要打印的报告</source>
        <translation>Please choose the reports to print</translation>
    </message>
    <message>
        <source>请选择要签到的预约</source>
        <translation>Please choose the appointment to check in</translation>
    </message>
    <message>
        <source>请选择要补打的凭条或报告</source>
        <translation>Please choose the slip or report to print again</translation>
    </message>
    <message>
        <source>请选择要退的号。退号后挂号费原路退回，号源让给其他患者。</source>
        <translation>Choose the number to cancel. The fee goes back to how you paid; the place goes to another patient.</translation>
    </message>
    <message>
        <source>请马上到急诊</source>
        <translation>Please go to the emergency department now</translation>
    </message>
    <message>
        <source>读卡区</source>
        <translation>Card reader</translation>
    </message>
    <message>
        <source>谢谢您的评价</source>
        <translation>Thank you for your rating</translation>
    </message>
    <message>
        <source>跳过</source>
        <translation>Skip</translation>
    </message>
    <message>
        <source>身份证号码中的出生日期不正确，请核对后重新输入。</source>
        <translation>The birth date in the ID number is not valid. Please check it and type it again.</translation>
    </message>
    <message>
        <source>身份证号码只能包含数字，最后一位可以是X，请核对后重新输入。</source>
        <translation>An ID number has only digits; the last one may be X. Please check it and type it again.</translation>
    </message>
    <message>
        <source>身份证号码应为18位，请核对后重新输入。</source>
        <translation>An ID number has 18 characters. Please check it and type it again.</translation>
    </message>
    <message>
        <source>身份证号码开头的地区代码不正确，请核对后重新输入。</source>
        <translation>The region code at the start of the ID number is not valid. Please check it and type it again.</translation>
    </message>
    <message>
        <source>身份证号码最后一位校验码不正确，请核对后重新输入。</source>
        <translation>The last character (check digit) of the ID number is wrong. Please check it and type it again.</translation>
    </message>
    <message>
        <source>身份证读卡器</source>
        <translation>ID card reader</translation>
    </message>
    <message>
        <source>输入完成后请点击“确定”</source>
        <translation>Tap "OK" when done</translation>
    </message>
    <message>
        <source>返回</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>返回上一步</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>返回首页</source>
        <translation>Home</translation>
    </message>
    <message>
        <source>还没到签到时间</source>
        <translation>It is too early to check in</translation>
    </message>
    <message>
        <source>这个号没有缴费，没有产生费用。</source>
        <translation>This number was not paid; nothing was charged.</translation>
    </message>
    <message>
        <source>这位家人还没有就诊档案。请先用家人的身份证在首页“建档”，再为其办理。</source>
        <translation>This family member has no record yet. Please create one with their ID card ("New record" on the home screen) first.</translation>
    </message>
    <message>
        <source>这只是建议：如果不对，可以自己选科室</source>
        <translation>This is only a suggestion: you can choose another department</translation>
    </message>
    <message>
        <source>这张凭条还可以在自助机补打 {n} 次。</source>
        <translation>This slip can be reprinted {n} more time(s) at a kiosk.</translation>
    </message>
    <message>
        <source>这是您今天可以办理的事项，请点击</source>
        <translation>Here is what you can do today. Please tap one.</translation>
    </message>
    <message>
        <source>退出自助机程序</source>
        <translation>Exit the kiosk program</translation>
    </message>
    <message>
        <source>退出长辈模式</source>
        <translation>Leave senior mode</translation>
    </message>
    <message>
        <source>退号</source>
        <translation>Cancel a number</translation>
    </message>
    <message>
        <source>退号后，已付的挂号费将原路退回您的付款账户，一般1至7个工作日到账；这个号会让给其他患者。确认退号吗？</source>
        <translation>If you cancel, the fee you paid goes back to the account you paid from, usually within 1 to 7 working days, and your place goes to another patient. Cancel this number?</translation>
    </message>
    <message>
        <source>速度快</source>
        <translation>Quick</translation>
    </message>
    <message>
        <source>配偶</source>
        <translation>Spouse</translation>
    </message>
    <message>
        <source>重新支付</source>
        <translation>Pay again</translation>
    </message>
    <message>
        <source>银行卡支付</source>
        <translation>Bank card</translation>
    </message>
    <message>
        <source>长辈模式</source>
        <translation>Senior mode</translation>
    </message>
    <message>
        <source>门诊缴费</source>
        <translation>Outpatient payment</translation>
    </message>
    <message>
        <source>险种</source>
        <translation>Insurance</translation>
    </message>
    <message>
        <source>需要注意</source>
        <translation>Needs attention</translation>
    </message>
    <message>
        <source>需要短信提醒吗？快到您时，以及预约就诊前，发短信到 {phone}。</source>
        <translation>Text reminders? We text {phone} when your turn is near and before appointments.</translation>
    </message>
    <message>
        <source>预约其他日期</source>
        <translation>Another day</translation>
    </message>
    <message>
        <source>预约成功</source>
        <translation>Booked</translation>
    </message>
    <message>
        <source>预约签到</source>
        <translation>Check in</translation>
    </message>
    <message>
        <source>预计等候</source>
        <translation>Estimated wait</translation>
    </message>
    <message>
        <source>首次就诊建档</source>
        <translation>First visit here</translation>
    </message>
</context>
</TS>
