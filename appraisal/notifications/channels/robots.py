"""(to be written: 企业微信 and 钉钉 group robots)"""
