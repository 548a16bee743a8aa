"""User-facing labels in zh-CN and en. Messages of errors carry both languages themselves."""

from __future__ import annotations

from dataport.config import Language

_LABELS: dict[str, tuple[str, str]] = {
    "actor": ("Actor", "操作者"),
    "action": ("Action", "操作"),
    "at": ("Time", "时间"),
    "columns": ("Columns", "列"),
    "content_hash": ("Content hash", "内容哈希"),
    "country": ("Country", "国家/地区"),
    "created": ("Created", "创建时间"),
    "dataset": ("Dataset", "数据集"),
    "details": ("Details", "详情"),
    "datasets": ("Datasets", "数据集"),
    "email": ("Email", "电子邮件"),
    "encoding": ("Encoding", "编码"),
    "expires": ("Expires", "过期时间"),
    "format": ("Format", "格式"),
    "holder": ("Holder", "持有方"),
    "id": ("ID", "编号"),
    "kind": ("Kind", "类型"),
    "last_used": ("Last used", "最近使用"),
    "name": ("Name", "名称"),
    "organisation": ("Organisation", "组织"),
    "organisations": ("Organisations", "组织"),
    "prefix": ("Prefix", "前缀"),
    "revoked": ("Revoked", "已吊销"),
    "right": ("Right", "权利"),
    "rights": ("Rights", "数据权利"),
    "role": ("Role", "角色"),
    "rows": ("Rows", "行数"),
    "sector": ("Sector", "行业"),
    "size": ("Size", "大小"),
    "source": ("Source", "来源"),
    "target": ("Target", "对象"),
    "type": ("Type", "类型"),
    "uscc": ("Credit code", "统一社会信用代码"),
    "version": ("Version", "版本"),
    "versions": ("Versions", "版本"),
    "zone": ("Zone", "区域"),
    "registered_zone": ("Registered zone", "注册区域"),
    "members": ("Members", "成员"),
    "tokens": ("Tokens", "令牌"),
    "audit": ("Audit trail", "审计记录"),
    # values
    "domestic": ("domestic", "境内"),
    "offshore": ("offshore", "离岸"),
    "enterprise": ("enterprise", "企业"),
    "regulator": ("regulator", "监管机构"),
    "exchange_operator": ("exchange operator", "数据交易所运营方"),
    "service_provider": ("service provider", "服务机构"),
    "admin": ("admin", "管理员"),
    "data_officer": ("data officer", "数据合规官"),
    "reviewer": ("reviewer", "审核员"),
    "auditor": ("auditor", "审计员"),
    "analyst": ("analyst", "分析师"),
    "resource_holding": ("resource holding", "数据资源持有权"),
    "processing_use": ("processing and use", "数据加工使用权"),
    "product_operation": ("product operation", "数据产品经营权"),
    "file": ("file", "文件"),
    "url": ("URL", "URL"),
    "database": ("database table", "数据库表"),
    # sentences
    "new_version": ("Recorded version {number}.", "已登记第 {number} 版。"),
    "unchanged": (
        "Content unchanged: still version {number}.",
        "内容未变化：仍为第 {number} 版。",
    ),
    "token_once": (
        "Store this token now: it is shown only once and cannot be recovered.",
        "请立即妥善保存此令牌：它只显示这一次，无法找回。",
    ),
    "none": ("none", "无"),
    "new_password": ("New password", "新密码"),
    "password_set": (
        "Password set for {email}; their other console sessions are ended.",
        "已为 {email} 设置密码；其其他控制台会话已结束。",
    ),
    # the evidence log
    "evidence": ("Evidence log", "证据日志"),
    "log_index": ("Log index", "日志序号"),
    "receipt": ("Receipt", "收据"),
    "queued": ("queued", "待排序"),
}


def t(key: str, lang: Language, **values: object) -> str:
    """The label ``key`` in ``lang`` (the key itself when there is none, so nothing is lost)."""
    pair = _LABELS.get(key)
    if pair is None:
        return key.format(**values) if values else key
    text = pair[1] if lang == "zh-CN" else pair[0]
    return text.format(**values) if values else text
